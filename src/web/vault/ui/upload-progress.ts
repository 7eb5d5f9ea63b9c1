/** Per-scan upload progress in the editor: shown in the scan's own row of its slot list. */
import type { EditorHost } from '../editor-host.js';
import { uploadProgress, type UploadProgress } from './progress.js';

/** The progress of the new scan `id` (its row is `[data-entry="<id>"]`), or undefined if the row is gone. */
export function scanUploadProgress(app: EditorHost, form: HTMLElement, id: string): UploadProgress | undefined {
  const row = Array.from(form.querySelectorAll<HTMLElement>('[data-entry]')).find((el) => el.dataset.entry === id);
  if (!row) return undefined;
  row.querySelector('.upload-progress')?.remove();
  const name = row.querySelector('.slot-file-name')?.textContent ?? '';
  const progress = uploadProgress(app.t, app.tr.locale, name);
  row.querySelector('.slot-file-text')?.append(progress.el);
  return progress;
}
