/**
 * Passkeys in the page (progressive enhancement; @simplewebauthn/browser runs the
 * WebAuthn ceremonies): "Use a passkey" on the sign-in and code pages,
 * with the browser's passkey autofill on the email field where it has it, and "Add
 * a passkey" on the account page. Strings and URLs come from data- attributes; the
 * server makes and checks every challenge.
 */
import { browserSupportsWebAuthn, browserSupportsWebAuthnAutofill, startAuthentication, startRegistration } from '@simplewebauthn/browser';

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    // The error code names the refusal the page can explain (account_disabled); anything else is "did not work".
    const code = ((await response.json().catch(() => ({}))) as { error?: unknown }).error;
    throw new Error(typeof code === 'string' ? code : `HTTP ${response.status}`);
  }
  return response.json();
}

function showError(box: HTMLElement, text: string): void {
  const error = box.querySelector<HTMLElement>('[data-passkey-error]');
  if (!error) return;
  error.textContent = text;
  error.setAttribute('role', 'alert'); // announced when it appears, not before
  error.hidden = false;
}

/** One sign-in ceremony; with `autofill`, the browser's conditional UI on the username field. */
async function signIn(box: HTMLElement, autofill: boolean): Promise<void> {
  const { options, finish, csrf } = box.dataset as { options: string; finish: string; csrf: string };
  const optionsJSON = (await postJson(options, { csrf })) as Parameters<typeof startAuthentication>[0]['optionsJSON'];
  const response = await startAuthentication({ optionsJSON, useBrowserAutofill: autofill });
  const { redirect } = (await postJson(finish, { csrf, response })) as { redirect: string };
  window.location.assign(redirect);
}

export function enhancePasskeySignIn(root: Document): void {
  const box = root.querySelector<HTMLElement>('[data-passkey-signin]');
  if (!box || !browserSupportsWebAuthn()) return;
  box.hidden = false;
  const button = box.querySelector<HTMLButtonElement>('button');
  button?.addEventListener('click', () => {
    button.disabled = true;
    signIn(box, false)
      .catch((error: Error) => showError(box, (error.message === 'account_disabled' ? box.dataset.disabled : undefined) ?? box.dataset.failed ?? ''))
      .finally(() => {
        button.disabled = false;
      });
  });
  // The passkey autofill: a quiet ceremony the button (or a typed password) replaces.
  if (root.querySelector('input[autocomplete~="webauthn"]')) {
    void browserSupportsWebAuthnAutofill().then((yes) => (yes ? signIn(box, true).catch(() => undefined) : undefined));
  }
}

export function enhancePasskeyRegistration(root: Document): void {
  const box = root.querySelector<HTMLElement>('[data-passkey-register]');
  if (!box || !browserSupportsWebAuthn()) return;
  box.hidden = false;
  const button = box.querySelector<HTMLButtonElement>('button');
  const name = box.querySelector<HTMLInputElement>('input');
  const headers = { 'X-CSRF-Token': box.dataset.csrf ?? '' };
  button?.addEventListener('click', () => {
    button.disabled = true;
    (async () => {
      const optionsJSON = (await postJson('/api/passkeys/options', {}, headers)) as Parameters<typeof startRegistration>[0]['optionsJSON'];
      const response = await startRegistration({ optionsJSON });
      await postJson('/api/passkeys', { name: name?.value.trim() || name?.defaultValue || 'Passkey', response }, headers);
      window.location.assign('/account#passkeys');
      window.location.reload();
    })()
      .catch((error: Error) => showError(box, (error.message === 'account_disabled' ? box.dataset.disabled : undefined) ?? box.dataset.failed ?? ''))
      .finally(() => {
        button.disabled = false;
      });
  });
}
