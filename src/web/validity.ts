/**
 * The browser's own validation messages ("Please fill out this field.") follow the
 * browser's language, not the page's. This puts the page's words in their place:
 * when a field turns out invalid (`invalid` event) or changes, its message comes
 * from the catalog the server put in <script type="application/json" id="validity-i18n">,
 * worded afresh from what the browser finds wrong now.
 * One listener on the document (capture: `invalid` does not bubble) covers every
 * form, including those the vault and consent pages build later.
 * A message some other script set (the password match check) is left alone.
 */

type Messages = Readonly<Record<string, string>>;
type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

function readMessages(doc: Document): Messages {
  try {
    const parsed: unknown = JSON.parse(doc.getElementById('validity-i18n')?.textContent ?? '{}');
    return typeof parsed === 'object' && parsed !== null ? (parsed as Messages) : {};
  } catch {
    return {};
  }
}

const isField = (el: EventTarget | null): el is Field =>
  el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement;

/** The catalog key and values for what is wrong with `field`, or undefined if nothing we word. */
export function validityMessage(field: Field): { key: string; vars: Record<string, string | number> } | undefined {
  const v = field.validity;
  const count = Array.from(field.value).length;
  if (v.valueMissing) {
    if (field instanceof HTMLSelectElement) return { key: 'validity.required_select', vars: {} };
    if (field instanceof HTMLInputElement && (field.type === 'checkbox' || field.type === 'radio')) return { key: 'validity.required_checkbox', vars: {} };
    return { key: 'validity.required', vars: {} };
  }
  if (v.badInput) return { key: 'validity.bad_input', vars: {} };
  if (v.typeMismatch) return { key: field.type === 'url' ? 'validity.url' : 'validity.email', vars: {} };
  if (v.tooShort) return { key: 'validity.too_short', vars: { min: field.getAttribute('minlength') ?? '', count } };
  if (v.tooLong) return { key: 'validity.too_long', vars: { max: field.getAttribute('maxlength') ?? '', count } };
  if (v.patternMismatch) return { key: 'validity.pattern', vars: {} };
  if (v.rangeUnderflow) return { key: 'validity.range_underflow', vars: { min: field.getAttribute('min') ?? '' } };
  if (v.rangeOverflow) return { key: 'validity.range_overflow', vars: { max: field.getAttribute('max') ?? '' } };
  if (v.stepMismatch) return { key: 'validity.step', vars: {} };
  return undefined;
}

export function enhanceValidationMessages(doc: Document): void {
  const messages = readMessages(doc);
  if (Object.keys(messages).length === 0) return; // no catalog: the browser's words are better than none
  /** The message we set on a field: only that one is ours to replace or clear. */
  const ours = new WeakMap<Field, string>();
  const word = (field: Field) => {
    if (ours.has(field) && field.validationMessage === ours.get(field)) field.setCustomValidity('');
    ours.delete(field);
    if (field.validity.valid || field.validity.customError) return; // valid, or another script's message
    const found = validityMessage(field);
    const template = found && messages[found.key];
    if (!found || !template) return;
    const text = template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in found.vars ? String(found.vars[name]) : whole));
    field.setCustomValidity(text);
    ours.set(field, text);
  };
  const onEvent = (event: Event) => {
    if (isField(event.target)) word(event.target);
  };
  // Capture: `invalid` does not bubble; and this runs before the field's own listeners,
  // so a script that sets its own message on input (the password match) still has the last word.
  for (const type of ['invalid', 'input', 'change']) doc.addEventListener(type, onEvent, true);
}
