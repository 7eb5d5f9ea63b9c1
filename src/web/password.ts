/** Password fields: show/hide toggle, a live length hint, a live "do not match" check. */

function interpolate(template: string, count: number): string {
  return template.replace('{count}', String(count));
}

/** Buttons `data-toggle-password="<input id>"` with `data-label-show` / `data-label-hide`. */
export function enhancePasswordToggles(root: Document): void {
  for (const button of Array.from(root.querySelectorAll<HTMLButtonElement>('button[data-toggle-password]'))) {
    const input = root.getElementById(button.dataset.togglePassword ?? '');
    if (!(input instanceof HTMLInputElement)) continue;
    const show = button.dataset.labelShow ?? button.textContent ?? '';
    const hide = button.dataset.labelHide ?? show;
    button.hidden = false;
    button.addEventListener('click', () => {
      const reveal = input.type === 'password';
      input.type = reveal ? 'text' : 'password';
      button.textContent = reveal ? hide : show;
      input.focus();
    });
    // Never submit a password field while it is shown as text (autofill and history hygiene).
    input.form?.addEventListener('submit', () => {
      input.type = 'password';
      button.textContent = show;
    });
  }
}

/** Elements `data-length-for="<input id>"` with `data-short|ok|good|long` messages containing `{count}`. */
export function enhanceLengthMeters(root: Document): void {
  for (const meter of Array.from(root.querySelectorAll<HTMLElement>('[data-length-for]'))) {
    const input = root.getElementById(meter.dataset.lengthFor ?? '');
    if (!(input instanceof HTMLInputElement)) continue;
    const min = Number(input.getAttribute('minlength')) || 8;
    const max = Number(input.getAttribute('maxlength')) || 256;
    const update = () => {
      // Count characters as people see them, not UTF-16 units.
      const count = Array.from(input.value).length;
      let message = '';
      if (count === 0) message = '';
      else if (count < min) message = meter.dataset.short ?? '';
      else if (count > max) message = meter.dataset.long ?? '';
      else if (count < 15) message = meter.dataset.ok ?? '';
      else message = meter.dataset.good ?? '';
      meter.textContent = interpolate(message, count);
    };
    input.addEventListener('input', update);
    update();
  }
}

/** Inputs `data-match="<other input id>"` with `data-mismatch` as the validation message. */
export function enhancePasswordMatch(root: Document): void {
  for (const confirm of Array.from(root.querySelectorAll<HTMLInputElement>('input[data-match]'))) {
    const original = root.getElementById(confirm.dataset.match ?? '');
    if (!(original instanceof HTMLInputElement)) continue;
    const message = confirm.dataset.mismatch ?? '';
    // The browser blocks the submit (and shows the message) while they differ; the field is
    // marked invalid only once the user leaves it, not on every keystroke.
    const check = (mark: boolean) => {
      const mismatch = confirm.value !== '' && confirm.value !== original.value;
      confirm.setCustomValidity(mismatch ? message : '');
      if (!mismatch) confirm.removeAttribute('aria-invalid');
      else if (mark) confirm.setAttribute('aria-invalid', 'true');
    };
    confirm.addEventListener('input', () => check(false));
    original.addEventListener('input', () => check(confirm.hasAttribute('aria-invalid')));
    confirm.addEventListener('change', () => check(true));
  }
}
