/** The unlocked vault: documents by group, their scans, usage, lock and passphrase change. */
import { elementSpec, expiryDateOf, expiryStatus, localDate, type ElementType, type FileLink, type SlotSpec } from '../../../protocol/index.js';
import { ApiError, NetworkError } from '../api.js';
import type { OpenedElement, VaultApp } from '../app.js';
import { h, uid } from '../dom.js';
import { displayValue, formatBytes, GROUPS, isLtrValue, SINGLE_TYPES } from '../groups.js';
import { mediaTypeName, openScan, slotLinks } from '../scans.js';
import { sealedOf } from '../attestations.js';
import { inboxNotices, verifiedList } from './attestations.js';
import { emailVerifyPanel } from './email-verify.js';
import { changePassphraseScreen } from './change.js';
import { busy, messageBox, screenHeading } from './common.js';
import { editorScreen } from './editor.js';
import { expiryBadge } from './expiry.js';
import { newCodeScreen } from './new-code.js';
import { errorsFor, feedbackBox } from '../feedback.js';

/** How a scan is named on the page: the slot's label, numbered when the slot holds several. */
export function scanLabels(app: Pick<VaultApp, 't' | 'tr'>, slot: SlotSpec, count: number): string[] {
  const label = app.t(slot.labelKey);
  if (!slot.multiple || count === 1) return Array.from({ length: count }, () => label);
  const number = new Intl.NumberFormat(app.tr.locale);
  return Array.from({ length: count }, (_, i) => app.t('vault.scan.numbered', { slot: label, number: number.format(i + 1) }));
}

function usage(app: VaultApp): HTMLElement | null {
  const vault = app.vault;
  if (!vault) return null;
  const { t } = app;
  const locale = app.tr.locale;
  const id = uid('usage');
  const ratio = vault.quota.bytes > 0 ? vault.usage.bytes / vault.quota.bytes : 0;
  return h(
    'div',
    { class: 'vault-usage' },
    h('label', { for: id }, t('vault.usage.label')),
    h('meter', { id, min: 0, max: vault.quota.bytes, value: vault.usage.bytes, low: vault.quota.bytes * 0.8, high: vault.quota.bytes * 0.95, optimum: 0 }),
    h(
      'p',
      { class: 'hint' },
      t('vault.usage.text', {
        used: formatBytes(locale, vault.usage.bytes),
        quota: formatBytes(locale, vault.quota.bytes),
        count: new Intl.NumberFormat(locale).format(vault.usage.elements),
        max: new Intl.NumberFormat(locale).format(vault.quota.elements),
      }),
    ),
    ratio >= 0.9 ? h('p', { class: 'hint vault-usage-high' }, t('vault.usage.high')) : null,
  );
}

function scanRow(app: VaultApp, label: string, link: FileLink): HTMLElement {
  const { t } = app;
  const preview = h('div', { class: 'scan-preview', hidden: true });
  const error = messageBox('alert');
  const showLabel = t('vault.scan.show', { slot: label });
  const hideLabel = t('vault.scan.hide', { slot: label });
  const button = h('button', { type: 'button', class: 'button button-secondary button-small', 'aria-expanded': 'false' }, showLabel);
  let url: string | undefined;

  const hide = () => {
    if (url) app.blobs.revoke(url);
    url = undefined;
    preview.replaceChildren();
    preview.hidden = true;
    button.textContent = showLabel;
    button.setAttribute('aria-expanded', 'false');
  };

  button.addEventListener('click', async () => {
    if (url) return hide();
    error.clear();
    let shown = false;
    await busy(button, t('vault.scan.loading'), async () => {
      try {
        const download = await app.api.downloadFile(link.id);
        const bytes = openScan(app.keys.use(), link, download);
        url = app.blobs.create(bytes, link.media_type);
        bytes.fill(0); // the Blob keeps its own copy
        preview.replaceChildren(
          link.media_type === 'application/pdf'
            ? h('a', { href: url, target: '_blank', rel: 'noopener', class: 'scan-pdf' }, t('vault.scan.open_pdf', { slot: label }))
            : h('img', { src: url, alt: t('vault.scan.alt', { slot: label }), class: 'scan-image' }),
        );
        preview.hidden = false;
        shown = true;
      } catch (err) {
        error.show(err instanceof ApiError || err instanceof NetworkError ? app.errorText(err) : t('vault.scan.bad'));
      }
    });
    if (shown) {
      button.textContent = hideLabel;
      button.setAttribute('aria-expanded', 'true');
    }
  });

  return h(
    'li',
    { class: 'scan-row' },
    h('div', { class: 'scan-head' }, h('span', { class: 'scan-name' }, label), h('span', { class: 'scan-meta' }, t('vault.scan.meta', { type: mediaTypeName(link.media_type), size: formatBytes(app.tr.locale, link.size) })), button),
    error.el,
    preview,
  );
}

function fieldList(app: VaultApp, opened: OpenedElement): HTMLElement | null {
  const content = opened.content!;
  const spec = elementSpec(opened.record.type);
  const data = content.data as Record<string, string | undefined>;
  const rows = spec.fields
    .filter((f) => typeof data[f.name] === 'string' && data[f.name] !== '')
    .map((f) => {
      const value = displayValue(app.tr.locale, f.kind, data[f.name]!, (g) => app.t(`gender.${g}`));
      return h('div', { class: 'field-row' }, h('dt', null, app.t(f.labelKey)), h('dd', isLtrValue(f.kind, f.name) ? { dir: 'ltr' } : { dir: 'auto' }, value));
    });
  return rows.length ? h('dl', { class: 'element-fields' }, ...rows) : null;
}

function scanList(app: VaultApp, opened: OpenedElement): HTMLElement | null {
  const spec = elementSpec(opened.record.type);
  const files = opened.content!.files as Record<string, FileLink | FileLink[]>;
  const rows = spec.slots.flatMap((slot) => {
    const links = slotLinks(files, slot.name);
    const labels = scanLabels(app, slot, links.length);
    return links.map((link, i) => scanRow(app, labels[i]!, link));
  });
  if (!rows.length) return null;
  return h('div', { class: 'element-scans' }, h('h5', null, app.t('vault.scans')), h('ul', { class: 'scan-list' }, ...rows));
}

function elementCard(app: VaultApp, opened: OpenedElement): HTMLElement {
  const { t } = app;
  const { record, content } = opened;
  const spec = elementSpec(record.type);
  const headingId = uid('element');
  const alert = messageBox('alert');
  const actions = h('div', { class: 'element-actions' });
  const confirmArea = h('div', { class: 'element-confirm', hidden: true });

  if (content) {
    const edit = h('button', { type: 'button', class: 'button button-secondary button-small' }, t('vault.edit'));
    edit.addEventListener('click', () => app.show('editor', editorScreen(app, record.type, opened)));
    actions.append(edit);
  }
  const remove = h('button', { type: 'button', class: 'button button-danger-quiet button-small' }, t('vault.delete'));
  actions.append(remove);

  remove.addEventListener('click', () => {
    const question = h('p', { tabindex: '-1' }, t('vault.delete_question', { type: t(spec.labelKey) }));
    const yes = h('button', { type: 'button', class: 'button button-danger button-small' }, t('vault.delete_yes'));
    const no = h('button', { type: 'button', class: 'button button-secondary button-small' }, t('vault.delete_no'));
    no.addEventListener('click', () => {
      confirmArea.hidden = true;
      confirmArea.replaceChildren();
      actions.hidden = false;
      remove.focus();
    });
    yes.addEventListener('click', () =>
      busy(yes, t('vault.deleting'), async () => {
        try {
          const { vault_version } = await app.api.deleteElement(record.id, record.version);
          if (app.vault) app.observeVersion(app.vault.vault_id, vault_version);
          await app.reloadDocuments({ kind: 'status', text: t('vault.deleted', { type: t(spec.labelKey) }) });
        } catch (err) {
          if (err instanceof ApiError && (err.status === 409 || err.status === 404)) {
            await app.reloadDocuments({ kind: 'alert', text: t('vault.conflict') });
            return;
          }
          alert.show(app.errorText(err));
        }
      }),
    );
    confirmArea.replaceChildren(question, h('div', { class: 'actions' }, yes, no));
    confirmArea.hidden = false;
    actions.hidden = true;
    question.focus();
  });

  return h(
    'article',
    { class: 'element-card', 'aria-labelledby': headingId, 'data-type': record.type },
    h('h4', { id: headingId }, t(spec.labelKey)),
    content ? documentExpiry(app, content.data as Record<string, unknown>) : null,
    content
      ? [feedbackBox(app.tr, errorsFor(app.errors, record), 'vault.feedback.fix'), verifiedList(app, sealedOf(content), app.summaries), fieldList(app, opened), scanList(app, opened), emailVerifyPanel(app, opened)]
      : h('p', { class: 'vault-message vault-message-alert' }, t('vault.unreadable')),
    alert.el,
    actions,
    confirmArea,
  );
}

/** "Expired on …" or "Expires on …" (within 90 days), in the person's own calendar. */
function documentExpiry(app: VaultApp, data: Record<string, unknown>): HTMLElement | null {
  const date = expiryDateOf(data);
  return date ? expiryBadge(app.t, app.tr.locale, { status: expiryStatus(date, localDate()), date }, 'vault') : null;
}

function groupSection(app: VaultApp, key: string, types: readonly ElementType[]): HTMLElement {
  const { t } = app;
  const items = app.opened.filter((o) => types.includes(o.record.type));
  const headingId = uid('group');
  const adders = types
    .filter((type) => !(SINGLE_TYPES.has(type) && items.some((o) => o.record.type === type)))
    .map((type) => {
      const button = h('button', { type: 'button', class: 'button button-add button-small' }, h('span', { class: 'plus', 'aria-hidden': 'true' }, '+'), t(`vault.add.${type}`));
      button.addEventListener('click', () => app.show('editor', editorScreen(app, type)));
      return button;
    });
  return h(
    'section',
    { class: 'element-group', 'aria-labelledby': headingId, 'data-group': key },
    h('h3', { id: headingId }, t(`vault.group.${key}`)),
    items.length ? h('div', { class: 'element-list' }, ...items.map((o) => elementCard(app, o))) : h('p', { class: 'hint empty' }, t('vault.empty_group')),
    adders.length ? h('div', { class: 'element-add' }, ...adders) : null,
  );
}

/** When a consent page sent the holder here: the way back, once the documents are in. */
function returnBanner(app: VaultApp): HTMLElement | null {
  const target = app.returnTo;
  if (!target) return null;
  const { t } = app;
  const label = target.name ? t('vault.return.back', { client: target.name }) : t('vault.return.back_generic');
  return h(
    'div',
    { class: 'vault-return', role: 'region', 'aria-label': label },
    h('p', null, target.name ? t('vault.return.text', { client: target.name }) : t('vault.return.text_generic')),
    h('a', { href: target.path, class: 'button button-primary' }, label),
  );
}

export function documentsScreen(app: VaultApp): HTMLElement {
  const { t } = app;
  const lock = h('button', { type: 'button', class: 'button button-primary button-small' }, t('vault.lock'));
  lock.addEventListener('click', () => app.lock('button'));
  const change = h('button', { type: 'button', class: 'button button-secondary button-small' }, t('vault.change_passphrase'));
  change.addEventListener('click', () => app.show('change-passphrase', changePassphraseScreen(app)));
  const newCode = h('button', { type: 'button', class: 'button button-secondary button-small' }, t('vault.new_code.open'));
  newCode.addEventListener('click', () => app.show('new-code', newCodeScreen(app)));

  return h(
    'section',
    { class: 'vault-screen vault-documents' },
    h(
      'div',
      { class: 'vault-toolbar' },
      h('div', null, screenHeading(t('vault.docs.heading')), h('p', { class: 'vault-state' }, h('span', { class: 'vault-state-dot', 'aria-hidden': 'true' }), t('vault.docs.unlocked'))),
      h('div', { class: 'vault-toolbar-actions' }, change, newCode, lock),
    ),
    app.noticeBox(),
    inboxNotices(app, app.inbox),
    returnBanner(app),
    h('p', { class: 'hint' }, t('vault.docs.intro')),
    usage(app),
    ...GROUPS.map((group) => groupSection(app, group.key, group.types)),
  );
}
