/**
 * The page script: progressive enhancement only. Every page works without it.
 * No strings live here: they come translated from the server in data- attributes.
 */
import { enhanceLengthMeters, enhancePasswordMatch, enhancePasswordToggles } from './password.js';
import { enhanceSubmitOnce } from './submit-once.js';
import { enhanceValidationMessages } from './validity.js';
import { enhancePasskeyRegistration, enhancePasskeySignIn } from './passkeys.js';

function start(): void {
  enhanceValidationMessages(document);
  enhanceSubmitOnce(document);
  enhancePasswordToggles(document);
  enhanceLengthMeters(document);
  enhancePasswordMatch(document);
  enhancePasskeySignIn(document);
  enhancePasskeyRegistration(document);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
