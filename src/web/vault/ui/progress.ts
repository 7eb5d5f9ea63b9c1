/**
 * Progress a person can see and hear (issue #11): Argon2id on a slow phone takes
 * seconds, uploads of large scans too.
 *
 * Key derivation gives no progress (hash-wasm has no callback, and the work is one
 * WebAssembly call), so its indicator is honest: an indeterminate bar and a sentence,
 * never a made-up percentage. The bar is animated with a CSS transform, which the
 * compositor keeps moving while Argon2id holds the main thread. The sentence sits in a
 * polite live region that stays in the page, so screen readers announce it when it
 * appears.
 */
import { h } from '../dom.js';
import { busy, nextPaint } from './common.js';

export interface DerivingNote {
  /** Put it in the form (once); it is empty, and takes no room, until `show`. */
  el: HTMLElement;
  show(): void;
  hide(): void;
}

export function derivingNote(text: string): DerivingNote {
  const el = h('div', { class: 'vault-progress', role: 'status' });
  return {
    el,
    show() {
      el.replaceChildren(h('span', { class: 'vault-progress-bar', 'aria-hidden': 'true' }), h('p', { class: 'hint' }, text));
    },
    hide() {
      el.replaceChildren();
    },
  };
}

/**
 * `busy` for a step that derives a key: the button is busy, and the note shows (and
 * is painted) before `fn` starts, until it ends.
 */
export function busyDeriving<R>(button: HTMLButtonElement, label: string, note: DerivingNote, fn: () => Promise<R>): Promise<R | undefined> {
  return busy(button, label, async () => {
    note.show();
    try {
      await nextPaint();
      return await fn();
    } finally {
      note.hide();
    }
  });
}

export interface UploadProgress {
  el: HTMLElement;
  /** Bytes sent of `total` (the request body, ciphertext). */
  update(sent: number, total: number): void;
  done(): void;
}

/** One scan's upload: a determinate bar (real bytes sent, from XMLHttpRequest) and its words. */
export function uploadProgress(t: (key: string, vars?: Readonly<Record<string, string | number>>) => string, locale: string, name: string): UploadProgress {
  const bar = h('progress', { max: 100, value: 0, 'aria-hidden': 'true' });
  const text = h('span', { class: 'hint' });
  const el = h('span', { class: 'upload-progress', role: 'status' }, bar, text);
  const percent = new Intl.NumberFormat(locale, { style: 'percent' });
  let shown = -1;
  const update = (sent: number, total: number) => {
    const value = total > 0 ? Math.min(100, Math.floor((sent / total) * 100)) : 0;
    bar.value = value;
    // Words change in tens, so a screen reader is not flooded.
    const step = Math.floor(value / 10) * 10;
    if (step === shown) return;
    shown = step;
    text.textContent = t('vault.scan.uploading', { name, percent: percent.format(step / 100) });
  };
  update(0, 1);
  return {
    el,
    update,
    done() {
      bar.value = 100;
      text.textContent = t('vault.scan.uploaded', { name });
    },
  };
}
