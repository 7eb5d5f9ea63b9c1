/**
 * Decrypting the vault's elements with MK, shared by the vault page and the
 * passport consent page. An element that fails (altered, moved, invalid) is kept
 * without content, so the page can say so; nothing is logged.
 */
import { openElement, type ElementContent, type ElementType } from '../../protocol/index.js';
import type { ElementRecord } from './api.js';

export interface OpenedElement {
  record: ElementRecord;
  /** Undefined when the element could not be decrypted or validated. */
  content?: ElementContent<ElementType>;
}

export function openRecords(mk: Uint8Array, records: readonly ElementRecord[]): OpenedElement[] {
  return records.map((record) => {
    try {
      const content = openElement(mk, { wrappedKey: record.wrapped_key, ciphertext: record.ciphertext }, { id: record.id, type: record.type, version: record.version });
      return { record, content };
    } catch {
      return { record };
    }
  });
}
