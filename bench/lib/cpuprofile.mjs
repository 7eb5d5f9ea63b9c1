// Summarises a V8 .cpuprofile: self time by function and by package, and inclusive
// time (anywhere on the stack) by package and by our own source file.

function packageOf(url) {
  if (!url) return null;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const dist = url.indexOf('/dist/src/');
  if (dist >= 0) return 'wathiqa ' + url.slice(dist + 10);
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return 'bench ' + url.slice(bench + 7);
  return url;
}

export function summarise(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
    total += dt;
  }
  const fnKey = (n) => {
    const cf = n.callFrame;
    const pkg = packageOf(cf.url);
    return `${cf.functionName || '(anonymous)'}  [${pkg ?? cf.url ?? ''}${cf.url ? `:${cf.lineNumber + 1}` : ''}]`;
  };
  const pkgKey = (n) => packageOf(n.callFrame.url) ?? n.callFrame.functionName ?? '(native)';
  const selfFn = new Map();
  const selfPkg = new Map();
  const inclPkg = new Map();
  for (const [id, t] of self) {
    const n = byId.get(id);
    selfFn.set(fnKey(n), (selfFn.get(fnKey(n)) ?? 0) + t);
    selfPkg.set(pkgKey(n), (selfPkg.get(pkgKey(n)) ?? 0) + t);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = pkgKey(byId.get(cur));
      if (!seen.has(k)) {
        seen.add(k);
        inclPkg.set(k, (inclPkg.get(k) ?? 0) + t);
      }
    }
  }
  const pct = (t) => `${((t / total) * 100).toFixed(1).padStart(5)} %`;
  const list = (m, n) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, t]) => `  ${pct(t)}  ${k}`).join('\n');
  return [
    `Total sampled: ${(total / 1e6).toFixed(2)} s`,
    '',
    'Self time by package / file:',
    list(selfPkg, top),
    '',
    'Inclusive time by package / file (anywhere on the stack; not additive):',
    list(inclPkg, top),
    '',
    'Self time by function:',
    list(selfFn, top),
  ].join('\n');
}
