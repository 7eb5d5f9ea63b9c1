/**
 * Forms marked `data-submit-once` (and the logout form) send once: a second submit
 * is cancelled and the buttons look busy. The buttons are disabled only after the
 * browser has built the form data, so the clicked button's name=value (consent's
 * `decision`) is still sent.
 */
function submitButtons(form: HTMLFormElement): HTMLButtonElement[] {
  // form.elements includes buttons outside the form that point at it with form="…".
  return Array.from(form.elements).filter(
    (el): el is HTMLButtonElement => el instanceof HTMLButtonElement && el.type === 'submit',
  );
}

function reset(form: HTMLFormElement): void {
  delete form.dataset.submitting;
  form.removeAttribute('aria-busy');
  for (const button of submitButtons(form)) {
    button.disabled = false;
    button.removeAttribute('aria-disabled');
  }
}

export function enhanceSubmitOnce(root: Document): void {
  const forms = Array.from(root.querySelectorAll<HTMLFormElement>('form[data-submit-once], form#op\\.logoutForm'));
  for (const form of forms) {
    form.addEventListener('submit', (event) => {
      if (form.dataset.submitting === 'true') {
        event.preventDefault();
        return;
      }
      // A form the browser will not send (invalid fields) must stay usable.
      if (event.defaultPrevented) return;
      form.dataset.submitting = 'true';
      form.setAttribute('aria-busy', 'true');
      const buttons = submitButtons(form);
      for (const button of buttons) button.setAttribute('aria-disabled', 'true');
      window.setTimeout(() => {
        for (const button of buttons) button.disabled = true;
      }, 0);
    });
  }
  // Coming back with the Back button (bfcache) must not leave dead buttons.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) forms.forEach(reset);
  });
}
