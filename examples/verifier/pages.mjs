/**
 * The example verifier's HTML: plain template strings, every value escaped.
 * Elements that tests read carry data-* attributes (data-check, data-status,
 * data-state) so they need not parse prose.
 */

export const esc = (value) =>
  String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
export const label = (name) => esc(name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, ' '));
const time = (date) => esc(new Date(date).toISOString().replace(/\.\d{3}Z$/, 'Z'));

export function page(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Example verifier</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header><a href="/">Example verifier</a> <span class="muted">checks documents for Wathiqa</span>
<nav><a href="/review">Reviews</a> <a href="/attestations">Attestations issued</a></nav></header>
<main>
${body}
</main>
</body>
</html>
`;
}

export function errorPage(title, message) {
  return page(title, `<h1>${esc(title)}</h1><p class="error" role="alert">${esc(message)}</p><p><a href="/">Back</a></p>`);
}

const csrfField = (csrf) => `<input type="hidden" name="csrf" value="${esc(csrf)}">`;

export function homePage({ issuer, problems, ready, registration, types }) {
  const setup = problems.length
    ? `<div class="notice"><p><strong>Not configured yet.</strong></p><ul>${problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>
<p>See docs/verifiers.md, "The example verifier": generate the keys, register the verifier, then start with CLIENT_ID and CLIENT_SECRET.</p></div>`
    : '';
  const warnings = registration.length ? `<div class="notice">${registration.map((w) => `<p>${esc(w)}</p>`).join('')}</div>` : '';
  const button = ready
    ? `<p><a class="button" href="/login">Verify my document with Wathiqa</a></p>`
    : `<p><span class="button disabled" aria-disabled="true">Verify my document with Wathiqa</span></p>`;
  return page(
    'Home',
    `<h1>Have a document verified</h1>
<p>Share ${esc(types)} from your Wathiqa vault (${esc(issuer)}), with a scan of it and a selfie.
A reviewer checks the scans against the details; if they match, we sign an attestation
and send it to your vault, where relying parties that ask for a verified document can see it.</p>
${setup}${warnings}
${button}`,
  );
}

const STATE_TEXT = {
  pending: 'Waiting for a reviewer.',
  approved: 'Verified. The attestation was sent to your Wathiqa vault: unlock your vault to add it to the document.',
  rejected: 'Not verified: the reviewer rejected the document.',
  delivery_failed: 'Waiting for a reviewer (the last attempt to send the attestation failed).',
};

/** What the holder sees after signing in: their submission and its state. */
export function submittedPage(c) {
  return page(
    'Submitted',
    `<h1>${label(c.type)} received</h1>
<p data-state="${esc(c.state)}">${esc(STATE_TEXT[c.state])}</p>
<p class="muted">Submission ${esc(c.id)}, received ${time(c.createdAt)}. This page does not refresh by itself.</p>
<p><a href="/review/${esc(c.id)}">Open it as the reviewer</a> <span class="muted">(in this example anyone on this machine is the reviewer; see REVIEWER_PASSWORD)</span></p>`,
  );
}

export function reviewListPage(cases) {
  const rows = cases
    .map(
      (c) => `<tr data-state="${esc(c.state)}"><td><a href="/review/${esc(c.id)}">${esc(c.id)}</a></td><td>${label(c.type)}</td><td class="time">${time(c.createdAt)}</td><td>${esc(c.state.replace(/_/g, ' '))}</td></tr>`,
    )
    .join('');
  return page(
    'Reviews',
    `<h1>Submissions</h1>
${rows ? `<table><thead><tr><th>Submission</th><th>Document</th><th>Received</th><th>State</th></tr></thead><tbody>${rows}</tbody></table>` : '<p>Nothing to review yet.</p>'}`,
  );
}

function checkItem(c) {
  const badge = { pass: 'Pass', fail: 'Fail', unknown: 'Check by hand' }[c.status];
  return `<li data-check="${esc(c.id)}" data-status="${esc(c.status)}"><span class="badge ${esc(c.status)}">${badge}</span> <strong>${esc(c.label)}</strong>: ${esc(c.detail)}</li>`;
}

function scansBlock(c) {
  if (!c.scans) return '<p class="muted">The scans were discarded after the decision.</p>';
  return `<div class="scans">${c.scans
    .map((s, n) => {
      const name = `${label(s.slot)}${s.index === undefined ? '' : ` ${s.index + 1}`}`;
      if (s.error) return `<figure><figcaption>${name}</figcaption><p class="error">Not available (${esc(s.error)})</p></figure>`;
      const url = `/review/${esc(c.id)}/scans/${n}`;
      const view = s.mediaType.startsWith('image/') ? `<a href="${url}"><img src="${url}" alt="${name}"></a>` : `<a href="${url}">Download (PDF, ${esc(s.size)} bytes)</a>`;
      return `<figure>${view}<figcaption>${name}</figcaption></figure>`;
    })
    .join('')}</div>`;
}

function resultBlock(c) {
  if (c.state === 'approved') {
    const r = c.result;
    return `<section id="result" data-state="approved"><h2>Attestation issued</h2>
<p>Signed, encrypted to the holder's key and delivered to Wathiqa (inbox item ${esc(r.deliveredId)}).
Status list index ${esc(r.idx)}; valid until ${time(r.expiresAt * 1000)}. <a href="/attestations">Attestations issued</a></p>
<details><summary>The SD-JWT VC, with every disclosure</summary><pre>${esc(r.sdJwt)}</pre></details></section>`;
  }
  if (c.state === 'rejected') return `<section id="result" data-state="rejected"><h2>Rejected</h2><p>Rejected at ${time(c.decidedAt)}. Nothing was issued.</p></section>`;
  if (c.state === 'delivery_failed') {
    return `<section id="result" data-state="delivery_failed"><h2>Delivery failed</h2><p class="error" role="alert">${esc(c.error)}</p>
<p>Nothing was delivered. Approve again to retry (the grant's access token lives one hour).</p></section>`;
  }
  return '';
}

export function reviewPage(c, { csrf, blocking, mrzAvailable }) {
  const rows = Object.entries(c.data)
    .map(([field, value]) => `<tr><th scope="row">${label(field)}</th><td dir="auto" data-field="${esc(field)}">${esc(value)}</td></tr>`)
    .join('');
  const mrzItems = c.mrz ? c.mrz.items.map(checkItem).join('') : '';
  const mrzForm =
    mrzAvailable && c.scans
      ? `<form method="post" action="/review/${esc(c.id)}/mrz" class="mrz">${csrfField(csrf)}
<label for="mrz">MRZ as printed on the scan (optional)</label>
<textarea id="mrz" name="mrz" rows="3" cols="46" spellcheck="false" autocomplete="off" maxlength="200">${esc(c.mrzText ?? '')}</textarea>
<p class="muted">Copy the two or three lines at the foot of the data page, with every &lt;. The check digits are computed by the <code>mrz</code> package (ICAO 9303).</p>
<button type="submit">Check the MRZ</button></form>`
      : '';
  const decide =
    c.state === 'pending' || c.state === 'delivery_failed'
      ? `<section id="decision"><h2>Decision</h2>
${blocking.length ? `<p class="error" role="alert">Approve is not possible while a check fails: ${esc(blocking.map((b) => b.label).join(', '))}.</p>` : ''}
<div class="actions">
<form method="post" action="/review/${esc(c.id)}/approve">${csrfField(csrf)}<button type="submit" class="approve"${blocking.length ? ' disabled' : ''}>Approve</button></form>
<form method="post" action="/review/${esc(c.id)}/reject">${csrfField(csrf)}<button type="submit" class="reject">Reject</button></form>
</div></section>`
      : '';
  return page(
    'Review',
    `<h1>Review: ${label(c.type)}</h1>
<p class="muted">Submission ${esc(c.id)}, received ${time(c.createdAt)}, holder ${esc(c.sub)} at Wathiqa. State: <span data-state="${esc(c.state)}">${esc(c.state.replace(/_/g, ' '))}</span>.</p>
<section><h2>Released details</h2><table><tbody>${rows}</tbody></table></section>
<section><h2>Scans</h2>${scansBlock(c)}</section>
<section id="checks"><h2>Automatic checks</h2>
<ul class="checks">${c.checks.map(checkItem).join('')}${mrzItems}</ul>
${c.mrz?.parsed ? `<p class="muted">Name in the MRZ: ${esc(c.mrz.parsed.names)} (compare it with the scan).</p>` : ''}
${mrzForm}</section>
${resultBlock(c)}
${decide}`,
  );
}

export function attestationsPage(records, { csrf, statusUri }) {
  const rows = records
    .map((r) => {
      const state = r.revokedAt ? 'revoked' : 'valid';
      const action = r.revokedAt
        ? `Revoked ${time(r.revokedAt)}`
        : `<form method="post" action="/attestations/${esc(r.id)}/revoke">${csrfField(csrf)}<button type="submit" class="reject">Revoke</button></form>`;
      return `<tr data-attestation="${esc(r.id)}" data-state="${state}"><td>${esc(r.id)}</td><td>${label(r.type)}</td><td dir="auto">${esc(r.documentNumber ?? '')}</td><td class="time">${time(r.issuedAt)}</td><td class="time">${time(r.expiresAt * 1000)}</td><td>${esc(r.idx)}</td><td>${action}</td></tr>`;
    })
    .join('');
  return page(
    'Attestations issued',
    `<h1>Attestations issued</h1>
<p>Each attestation points at its bit in this verifier's Token Status List, <a href="/status-list">${esc(statusUri)}</a>.
Revoking sets the bit; relying parties that check the list then refuse the attestation.</p>
${rows ? `<table><thead><tr><th>Id</th><th>Document</th><th>Number</th><th>Issued</th><th>Expires</th><th>Index</th><th></th></tr></thead><tbody>${rows}</tbody></table>` : '<p>None yet.</p>'}`,
  );
}

export const CSS = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header{padding:.75rem 1.5rem;background:#345;color:#fff;display:flex;flex-wrap:wrap;gap:1rem;align-items:baseline}
header a{color:#fff;font-weight:600;text-decoration:none}header .muted{color:#dde}header nav{margin-inline-start:auto;display:flex;gap:1rem}
main{max-width:56rem;margin:0 auto;padding:1rem 1.5rem}
.muted{color:#666}.error{color:#a00}.notice{border:1px solid #e0b000;background:#fff8e0;padding:.5rem 1rem;border-radius:6px}
.button,button{display:inline-block;padding:.5rem 1.1rem;background:#345;color:#fff;border:0;border-radius:6px;text-decoration:none;font:inherit;font-weight:600;cursor:pointer}
.button.disabled,button:disabled{background:#99a;cursor:not-allowed}button.approve{background:#0a6}button.reject{background:#b22}
button.approve:disabled{background:#9b9}
table{border-collapse:collapse;margin:.5rem 0}th,td{border-bottom:1px solid #ddd;padding:.3rem .8rem;text-align:start}
th{font-weight:500;color:#444}td.time{white-space:nowrap}.scans{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}
figure img{max-width:22rem;max-height:16rem;border:1px solid #ccc;display:block}
.checks{list-style:none;padding:0}.checks li{margin:.3rem 0}
.badge{display:inline-block;min-width:6.5rem;text-align:center;border-radius:4px;padding:0 .4rem;font-size:.85rem;font-weight:600}
.badge.pass{background:#d8f5e3;color:#064}.badge.fail{background:#fbdcdc;color:#900}.badge.unknown{background:#eee;color:#444}
.mrz label{display:block;font-weight:600;margin-top:1rem}.mrz textarea{font:15px/1.4 ui-monospace,monospace;width:100%;max-width:36rem}
.actions{display:flex;gap:1rem}pre{background:#f0f0f0;padding:1rem;overflow:auto;border-radius:6px;white-space:pre-wrap;word-break:break-all}`;
