/**
 * Add or edit one element: a form generated from elementSpec(type), scans per
 * slot. Saving validates with the protocol's schema, seals and uploads new
 * scans, seals the element with its file links, and writes it with the next
 * version (a 409 means it changed elsewhere: reload and say so).
 */
import {
  ElementDataError,
  elementSpec,
  GENDERS,
  parseElementData,
  type ElementContent,
  type ElementType,
  type SealedAttestation,
  type SealedFile,
  type FieldSpec,
  type FileLink,
  type ScanMediaType,
  type SlotName,
  type SlotSpec,
} from '../../../protocol/index.js';
import { ApiError } from '../api.js';
import type { OpenedElement } from '../app.js';
import type { EditorHost } from '../editor-host.js';
import { contentWith, dropsOnSave, sealContent, sealedOf, type DroppedVerification } from '../attestations.js';
import { h, replace, uid } from '../dom.js';
import { dataFromFormValues, fieldProblems, formValuesFromData, type FormValues } from '../form-model.js';
import { countryOptions, formatBytes, formatList, isLtrValue } from '../groups.js';
import { buildFiles, classifyScan, fileIds, mediaTypeName, missingSlots, sealScan, sizeProblem, slotLinks } from '../scans.js';
import { verifiedList } from './attestations.js';
import { busy, field, messageBox, screenHeading, type FieldHandle } from './common.js';
import { scanLabels } from './documents.js';
import { scanUploadProgress } from './upload-progress.js';

type Entry =
  | { kind: 'saved'; link: FileLink }
  | { kind: 'new'; id: string; name: string; mediaType: ScanMediaType; bytes: Uint8Array<ArrayBuffer>; thumb?: string };

const AUTOCOMPLETE: Partial<Record<string, string>> = {
  given_name: 'given-name',
  family_name: 'family-name',
  middle_name: 'additional-name',
  birthdate: 'bday',
  country_of_residence: 'country',
  street_address: 'address-line1',
  street_address_2: 'address-line2',
  locality: 'address-level2',
  region: 'address-level1',
  postal_code: 'postal-code',
  country: 'country',
  phone_number: 'tel',
  email: 'email',
};

const ACCEPT = 'image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf';

function control(app: EditorHost, spec: FieldSpec, value: string): HTMLInputElement | HTMLSelectElement {
  const { t } = app;
  const common = { name: spec.name, autocomplete: AUTOCOMPLETE[spec.name] ?? 'off' };
  switch (spec.kind) {
    case 'country': {
      const select = h('select', common, h('option', { value: '' }, t('vault.choose_country')));
      for (const option of countryOptions(app.tr.locale)) select.append(h('option', { value: option.code, selected: option.code === value }, option.name));
      return select;
    }
    case 'gender': {
      const select = h('select', common, h('option', { value: '' }, t('vault.choose')));
      for (const g of GENDERS) select.append(h('option', { value: g, selected: g === value }, t(`gender.${g}`)));
      return select;
    }
    case 'date':
      return h('input', { ...common, type: 'date', value, min: '1000-01-01', max: '9999-12-31' });
    case 'phone':
      return h('input', { ...common, type: 'tel', value, dir: 'ltr', inputmode: 'tel', maxlength: spec.maxLength, spellcheck: 'false' });
    case 'email':
      return h('input', { ...common, type: 'email', value, dir: 'ltr', maxlength: spec.maxLength, spellcheck: 'false', autocapitalize: 'off' });
    case 'text':
      return h('input', { ...common, type: 'text', value, maxlength: spec.maxLength, dir: isLtrValue(spec.kind, spec.name) ? 'ltr' : 'auto', spellcheck: 'false' });
  }
}

export function editorScreen(app: EditorHost, type: ElementType, existing?: OpenedElement): HTMLElement {
  const { t } = app;
  const spec = elementSpec(type);
  const alert = messageBox('alert');
  const initial = formValuesFromData(spec, existing?.content?.data as Record<string, unknown> | undefined);
  const fields = new Map<string, FieldHandle>();
  for (const f of spec.fields) {
    const handle = field({
      label: t(f.labelKey),
      control: control(app, f, initial[f.name] ?? ''),
      ...(f.required ? {} : { optional: t('vault.optional') }),
      ...(f.kind === 'phone' ? { hint: t('vault.hint.phone') } : {}),
    });
    handle.control.addEventListener('input', () => handle.setError());
    fields.set(f.name, handle);
  }

  // Scans, by slot.
  const entries = new Map<SlotName, Entry[]>();
  const existingFiles = existing?.content?.files as Record<string, FileLink | FileLink[]> | undefined;
  for (const slot of spec.slots) entries.set(slot.name, slotLinks(existingFiles, slot.name).map((link) => ({ kind: 'saved', link })));
  const slotErrors = new Map<SlotName, (text?: string) => void>();
  const slotInputs = new Map<SlotName, HTMLInputElement>();

  const forgetNew = (entry: Entry) => {
    if (entry.kind !== 'new') return;
    entry.bytes.fill(0);
    if (entry.thumb) app.blobs.revoke(entry.thumb);
  };

  const slotBlock = (slot: SlotSpec): HTMLElement => {
    const input = h('input', { type: 'file', accept: ACCEPT, multiple: slot.multiple, id: uid('scan'), class: 'file-input' });
    slotInputs.set(slot.name, input);
    const hintId = `${input.id}-hint`;
    const errorId = `${input.id}-error`;
    const error = h('p', { class: 'field-error', id: errorId, hidden: true });
    const list = h('ul', { class: 'slot-files' });
    input.setAttribute('aria-describedby', hintId);
    const setError = (text?: string) => {
      error.textContent = text ?? '';
      error.hidden = !text;
      if (text) {
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', `${hintId} ${errorId}`);
      } else {
        input.removeAttribute('aria-invalid');
        input.setAttribute('aria-describedby', hintId);
      }
    };
    slotErrors.set(slot.name, setError);

    const render = () => {
      const current = entries.get(slot.name)!;
      const saved = current.filter((e) => e.kind === 'saved');
      const savedLabels = scanLabels(app, slot, saved.length);
      let savedIndex = 0;
      list.replaceChildren(
        ...current.map((entry) => {
          const name = entry.kind === 'saved' ? savedLabels[savedIndex++]! : entry.name;
          const meta = entry.kind === 'saved' ? entry.link : { media_type: entry.mediaType, size: entry.bytes.length };
          const remove = h('button', { type: 'button', class: 'link-button', 'aria-label': t('vault.scan.remove', { name }) }, t('vault.scan.remove_short'));
          remove.addEventListener('click', () => {
            forgetNew(entry);
            entries.set(slot.name, entries.get(slot.name)!.filter((e) => e !== entry));
            render();
            input.focus();
          });
          return h(
            'li',
            { class: `slot-file slot-file-${entry.kind}`, 'data-entry': entry.kind === 'new' ? entry.id : null },
            entry.kind === 'new' && entry.thumb ? h('img', { src: entry.thumb, alt: '', class: 'slot-thumb' }) : h('span', { class: 'slot-icon', 'aria-hidden': 'true' }, mediaTypeName(meta.media_type)),
            h(
              'span',
              { class: 'slot-file-text' },
              h('span', { class: 'slot-file-name', dir: 'auto' }, name),
              h('span', { class: 'hint' }, entry.kind === 'new' ? t('vault.scan.pending', { type: mediaTypeName(meta.media_type), size: formatBytes(app.tr.locale, meta.size) }) : t('vault.scan.meta', { type: mediaTypeName(meta.media_type), size: formatBytes(app.tr.locale, meta.size) })),
            ),
            remove,
          );
        }),
      );
      list.hidden = current.length === 0;
    };

    input.addEventListener('change', async () => {
      setError();
      const chosen = Array.from(input.files ?? []);
      input.value = ''; // the list below shows what was taken; the same file can be chosen again
      for (const file of chosen) {
        const current = entries.get(slot.name)!;
        if (slot.multiple && current.length >= slot.max) {
          setError(t('vault.scan.too_many', { max: slot.max }));
          break;
        }
        const early = sizeProblem(file.size);
        if (early) {
          setError(t(early));
          continue;
        }
        const bytes = new Uint8Array(await file.arrayBuffer());
        const kind = classifyScan(bytes);
        if ('problem' in kind) {
          bytes.fill(0);
          setError(t(kind.problem));
          continue;
        }
        const entry: Entry = {
          kind: 'new',
          id: crypto.randomUUID(),
          name: file.name || t(slot.labelKey),
          mediaType: kind.mediaType,
          bytes,
          ...(kind.mediaType === 'application/pdf' ? {} : { thumb: app.blobs.create(bytes, kind.mediaType) }),
        };
        if (slot.multiple) current.push(entry);
        else {
          current.forEach(forgetNew);
          entries.set(slot.name, [entry]);
        }
      }
      render();
    });

    render();
    return h(
      'div',
      { class: 'slot', 'data-slot': slot.name },
      h('div', { class: 'label-row' }, h('label', { for: input.id }, t(slot.labelKey)), slot.required ? null : h('span', { class: 'optional' }, t('vault.optional'))),
      h('p', { class: 'hint', id: hintId }, t(slot.multiple ? 'vault.scan.hint_multiple' : 'vault.scan.hint', { max: slot.max })),
      list,
      input,
      error,
    );
  };

  const save = h('button', { type: 'submit', class: 'button button-primary' }, t('vault.save'));
  /** Shown when saving would drop verifications. */
  const dropWarning = h('div', { class: 'vault-message vault-message-alert attest-drop', role: 'alert', hidden: true });

  const cancel = h('button', { type: 'button', class: 'button button-secondary' }, t('vault.cancel'));
  const dropScans = () => {
    for (const list of entries.values()) list.forEach(forgetNew);
  };
  // Locking while this form is open drops the chosen scans' bytes too.
  const removeHook = app.onForget(dropScans);
  const leave = () => {
    removeHook();
    dropScans();
  };
  cancel.addEventListener('click', () => {
    leave();
    app.leaveEditor();
  });

  const form = h(
    'form',
    { class: 'stack', novalidate: true },
    spec.fields.length ? h('div', { class: 'form-fields' }, ...[...fields.values()].map((f) => f.wrap)) : null,
    spec.slots.length ? h('div', { class: 'form-scans' }, h('h3', null, t('vault.scans')), h('p', { class: 'hint' }, t('vault.scan.private')), ...spec.slots.map(slotBlock)) : null,
    dropWarning,
    h('div', { class: 'actions' }, save, cancel),
  );

  /** New scans sealed for this form, by entry id: sealed once, whether the save goes on or waits for a confirmation. */
  const sealedScans = new Map<string, ReturnType<typeof sealScan>>();
  const sealedScan = (entry: Extract<Entry, { kind: 'new' }>) => {
    let scan = sealedScans.get(entry.id);
    if (!scan) {
      scan = sealScan(app.keys.use(), entry.id, entry.mediaType, entry.bytes);
      sealedScans.set(entry.id, scan);
    }
    return scan;
  };

  // Saving values a verification covers drops it (DESIGN 5.6): only after a warning and a second, explicit confirmation.
  const previous = sealedOf(existing?.content);
  /** The exact content the holder agreed to save without the named verifications. */
  let confirmedFor: string | undefined;
  const keptAttestations = async (next: ElementContent<ElementType>): Promise<{ kept: SealedAttestation[]; dropped: DroppedVerification[] } | undefined> => {
    const outcome = await dropsOnSave(previous, next);
    const key = JSON.stringify([next.data, next.files]);
    if (!outcome.dropped.length || confirmedFor === key) return outcome;
    const confirm = h('button', { type: 'button', class: 'button button-danger button-small' }, t('vault.attest.drop_confirm'));
    confirm.addEventListener('click', () => {
      confirmedFor = key;
      save.focus(); // the warning goes away while saving
      form.requestSubmit(save);
    });
    replace(
      dropWarning,
      ...outcome.dropped.map((d) => h('p', null, t('vault.attest.drop_warning', { verifier: d.verifier, changes: formatList(app.tr.locale, d.keys.map((k) => keyLabel(k))) }))),
      h('p', null, t('vault.attest.drop_question')),
      h('div', { class: 'actions' }, confirm),
    );
    dropWarning.hidden = false;
    return undefined;
  };
  const keyLabel = (key: string) => t(spec.fields.find((f) => f.name === key)?.labelKey ?? spec.slots.find((s) => s.name === key)?.labelKey ?? key);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    alert.clear();
    dropWarning.hidden = true;
    const values: FormValues = {};
    for (const [name, handle] of fields) {
      values[name] = handle.control.value;
      handle.setError();
    }
    for (const setError of slotErrors.values()) setError();

    let data: Record<string, unknown> | undefined;
    let firstInvalid: HTMLElement | undefined;
    try {
      data = parseElementData(type, dataFromFormValues(spec, values)) as Record<string, unknown>;
    } catch (err) {
      if (!(err instanceof ElementDataError)) throw err;
      for (const [name, problem] of fieldProblems(spec, err.issues, values)) {
        const handle = fields.get(name);
        if (handle) {
          handle.setError(t(problem.key, problem.vars));
          firstInvalid ??= handle.control;
        }
      }
    }
    for (const name of missingSlots(spec, entries)) {
      slotErrors.get(name)?.(t('vault.scan.required'));
      firstInvalid ??= slotInputs.get(name);
    }
    if (!data || firstInvalid) {
      alert.show(t('vault.form_invalid'));
      firstInvalid?.focus();
      return;
    }

    const validData = data;
    void busy(save, t('vault.saving'), async () => {
      const uploaded: string[] = [];
      try {
        // New scans are sealed first: their links (with their SHA-256) are part of what an attestation is checked against.
        const toUpload: { id: string; mediaType: ScanMediaType; sealed: SealedFile }[] = [];
        const links = new Map<SlotName, FileLink[]>();
        for (const slot of spec.slots) {
          const list: FileLink[] = [];
          for (const entry of entries.get(slot.name)!) {
            if (entry.kind === 'saved') {
              list.push(entry.link);
              continue;
            }
            const scan = sealedScan(entry);
            toUpload.push({ id: entry.id, mediaType: entry.mediaType, sealed: scan.sealed });
            list.push(scan.link);
          }
          links.set(slot.name, list);
        }
        const files = buildFiles(spec, links);
        const attestations = await keptAttestations({ data: validData, files } as unknown as ElementContent<ElementType>);
        if (!attestations) return;

        for (const scan of toUpload) {
          const progress = scanUploadProgress(app, form, scan.id);
          const result = await app.api.uploadFile({ id: scan.id, media_type: scan.mediaType, wrapped_key: scan.sealed.wrappedKey }, scan.sealed.ciphertext, progress?.update);
          progress?.done();
          uploaded.push(scan.id);
          if (app.vault) app.observeVersion(app.vault.vault_id, result.vault_version);
        }
        const id = existing?.record.id ?? crypto.randomUUID();
        const version = existing ? existing.record.version + 1 : 1;
        const content = contentWith({ data: validData, files } as unknown as ElementContent<ElementType>, attestations.kept);
        const sealed = sealContent(app.keys.use(), { id, type, version }, content);
        const result = await app.api.putElement(id, { type, version, wrapped_key: sealed.wrappedKey, ciphertext: sealed.ciphertext, file_ids: fileIds(files) });
        if (app.vault) app.observeVersion(app.vault.vault_id, result.vault_version);
        leave();
        const removed = attestations.dropped.map((d) => t('vault.attest.removed', { verifier: d.verifier }));
        await app.editorDone({ kind: 'status', text: [t('vault.saved', { type: t(spec.labelKey) }), ...removed].join(' ') });
      } catch (err) {
        // Scans uploaded for a save that failed are removed now (the server would after a day).
        await Promise.allSettled(uploaded.map((fileId) => app.api.deleteFile(fileId)));
        if (err instanceof ApiError && err.status === 409) {
          leave();
          await app.editorDone({ kind: 'alert', text: t('vault.conflict') });
          return;
        }
        alert.show(err instanceof ElementDataError ? t('vault.form_invalid') : app.errorText(err));
      }
    });
  });

  return h(
    'section',
    { class: 'vault-screen vault-editor', 'data-type': type },
    screenHeading(t(spec.labelKey)),
    h('p', { class: 'lead' }, t(existing ? 'vault.editor.editing' : 'vault.editor.new')),
    verifiedList(app, previous, app.summaries),
    alert.el,
    form,
  );
}
