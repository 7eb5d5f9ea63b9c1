/** Small UI pieces every vault screen uses: messages, labelled fields, busy buttons. */
import { h, uid, type Child } from '../dom.js';
import { passphraseStrength, type Strength } from '../strength.js';

type T = (key: string, vars?: Readonly<Record<string, string | number>>) => string;

export interface MessageBox {
  el: HTMLElement;
  show(text: string, extra?: Node): void;
  clear(): void;
}

/**
 * An alert (errors: role="alert", announced at once) or a status (confirmations:
 * role="status", announced politely). Hidden while empty.
 */
export function messageBox(kind: 'alert' | 'status' | 'danger'): MessageBox {
  const role = kind === 'status' ? 'status' : 'alert';
  const el = h('div', { class: `vault-message vault-message-${kind}`, role, hidden: true });
  return {
    el,
    show(text, extra) {
      el.replaceChildren(h('p', null, text), ...(extra ? [extra] : []));
      el.hidden = false;
    },
    clear() {
      el.replaceChildren();
      el.hidden = true;
    },
  };
}

export interface FieldHandle<C extends HTMLInputElement | HTMLSelectElement = HTMLInputElement | HTMLSelectElement> {
  wrap: HTMLElement;
  control: C;
  setError(text?: string): void;
}

/**
 * A label, its control, an optional hint and an error line. The control gets
 * aria-describedby for the hint and, while shown, the error (plus aria-invalid).
 */
export function field<C extends HTMLInputElement | HTMLSelectElement>(options: {
  label: string;
  control: C;
  hint?: string;
  /** Shown next to the label, outside it, so the accessible name stays the label. */
  optional?: string;
}): FieldHandle<C> {
  const { control } = options;
  if (!control.id) control.id = uid('vf');
  const hintId = `${control.id}-hint`;
  const errorId = `${control.id}-error`;
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  const describe = (withError: boolean) => {
    const ids = [options.hint ? hintId : '', withError ? errorId : ''].filter(Boolean).join(' ');
    if (ids) control.setAttribute('aria-describedby', ids);
    else control.removeAttribute('aria-describedby');
  };
  describe(false);
  const wrap = h(
    'div',
    { class: 'field' },
    h('div', { class: 'label-row' }, h('label', { for: control.id }, options.label), options.optional ? h('span', { class: 'optional' }, options.optional) : null),
    control,
    options.hint ? h('p', { class: 'hint', id: hintId }, options.hint) : null,
    error,
  );
  return {
    wrap,
    control,
    setError(text) {
      if (text) {
        error.textContent = text;
        error.hidden = false;
        control.setAttribute('aria-invalid', 'true');
      } else {
        error.textContent = '';
        error.hidden = true;
        control.removeAttribute('aria-invalid');
      }
      describe(Boolean(text));
    },
  };
}

/** A passphrase input (never autocapitalized or spell-checked: the text would go to a dictionary service). */
export function passphraseInput(autocomplete: 'new-password' | 'current-password'): HTMLInputElement {
  return h('input', { type: 'password', autocomplete, spellcheck: 'false', autocapitalize: 'off', autocorrect: 'off', maxlength: 1024 });
}

export interface StrengthMeter {
  el: HTMLElement;
  current(): Strength | undefined;
}

/** zxcvbn score as four bars and a sentence, updated as the person types. */
export function strengthMeter(t: T, input: HTMLInputElement, userInputs: string[]): StrengthMeter {
  const bars = h('div', { class: 'strength-bars', 'aria-hidden': 'true' }, h('span'), h('span'), h('span'), h('span'));
  const text = h('p', { class: 'hint strength-text', id: uid('strength'), 'aria-live': 'polite' });
  const el = h('div', { class: 'strength', 'data-score': '' }, bars, text);
  let last: Strength | undefined;
  const update = () => {
    if (input.value === '') {
      last = undefined;
      el.dataset.score = '';
      text.textContent = '';
      return;
    }
    last = passphraseStrength(input.value, userInputs);
    el.dataset.score = String(last.score);
    const level = t('vault.strength.label', { level: t(`vault.strength.level_${last.score}`) });
    text.textContent = last.warningKey ? `${level} ${t(last.warningKey)}` : level;
  };
  input.addEventListener('input', update);
  return { el, current: () => (input.value === '' ? undefined : (last ?? (update(), last))) };
}

/** Lets the browser paint (a busy label) before a long synchronous step such as Argon2id. */
export function nextPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

/**
 * Runs `fn` with the button marked busy (aria-disabled, a busy label) and the
 * form refusing a second submit. The button keeps focus: it is not disabled.
 */
export async function busy<R>(button: HTMLButtonElement, label: string, fn: () => Promise<R>): Promise<R | undefined> {
  if (button.getAttribute('aria-disabled') === 'true') return undefined;
  const original = button.textContent ?? '';
  button.setAttribute('aria-disabled', 'true');
  button.setAttribute('aria-busy', 'true');
  button.textContent = label;
  try {
    await nextPaint();
    return await fn();
  } finally {
    button.removeAttribute('aria-disabled');
    button.removeAttribute('aria-busy');
    button.textContent = original;
  }
}

/** A heading that receives focus when its screen appears. */
export function screenHeading(text: string, level: 'h2' | 'h3' = 'h2'): HTMLHeadingElement {
  return h(level, { tabindex: '-1', class: 'vault-heading' }, text);
}

/** A vault screen: its heading (focused when shown), the lead paragraph, then the rest. */
export function screenSection(name: string, heading: string, lead: string, ...rest: Child[]): HTMLElement {
  return h('section', { class: `vault-screen vault-${name}` }, screenHeading(heading), h('p', { class: 'lead' }, lead), ...rest);
}

/** The field a whole recovery code is typed into (recovering the vault, confirming the code later); the error clears on input. */
export function recoveryCodeField(t: (key: string) => string): FieldHandle<HTMLInputElement> {
  const code = field({
    label: t('vault.recover.code'),
    control: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters', dir: 'ltr', maxlength: 80, class: 'code-input' }),
    hint: t('vault.recover.code_hint'),
  });
  code.control.addEventListener('input', () => code.setError());
  return code;
}
