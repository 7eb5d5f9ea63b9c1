/**
 * Scans in the page: what a chosen file is, how an element's slots map to file
 * links and back, and sealing/opening with the protocol. A scan is checked
 * against the link its element names (id, media type, size, SHA-256) before it
 * is shown, so a server cannot show one document's scan as another's.
 */
import {
  fileLinkFor,
  fileLinks,
  MAX_SCAN_BYTES,
  openLinkedFile,
  sealFile,
  sniffScanMediaType,
  type ElementSpec,
  type FileLink,
  type ScanMediaType,
  type SealedFile,
  type SlotName,
} from '../../protocol/index.js';

export type SlotFiles = Partial<Record<SlotName, FileLink | readonly FileLink[]>>;

/** The links in one slot, as a list (a single slot holds at most one). */
export function slotLinks(files: SlotFiles | undefined, slot: SlotName): FileLink[] {
  const value = files?.[slot];
  if (value === undefined) return [];
  return Array.isArray(value) ? [...(value as readonly FileLink[])] : [value as FileLink];
}

/** Slot lists → the element's `files` object: single slots hold a link, multiple ones an array; empty slots are left out. */
export function buildFiles(spec: ElementSpec, slots: ReadonlyMap<SlotName, readonly FileLink[]>): Record<string, FileLink | FileLink[]> {
  const files: Record<string, FileLink | FileLink[]> = {};
  for (const slot of spec.slots) {
    const links = slots.get(slot.name) ?? [];
    if (links.length === 0) continue;
    files[slot.name] = slot.multiple ? [...links] : links[links.length - 1]!;
  }
  return files;
}

/** Required slots with nothing in them. */
export function missingSlots(spec: ElementSpec, slots: ReadonlyMap<SlotName, readonly unknown[]>): SlotName[] {
  return spec.slots.filter((slot) => slot.required && (slots.get(slot.name)?.length ?? 0) === 0).map((slot) => slot.name);
}

/** Every file id an element names (the `file_ids` the server attaches to it). */
export function fileIds(files: SlotFiles): string[] {
  return fileLinks(files).map((link) => link.id);
}

export type ScanProblem = 'vault.scan.too_large' | 'vault.scan.empty' | 'vault.scan.bad_type';

/** Before reading: the size alone. */
export function sizeProblem(size: number): ScanProblem | undefined {
  if (size === 0) return 'vault.scan.empty';
  if (size > MAX_SCAN_BYTES) return 'vault.scan.too_large';
  return undefined;
}

/**
 * What the bytes are, by their content (not the file name or the browser's
 * guess): JPEG, PNG or PDF, or a problem.
 */
export function classifyScan(bytes: Uint8Array): { mediaType: ScanMediaType } | { problem: ScanProblem } {
  const problem = sizeProblem(bytes.length);
  if (problem) return { problem };
  const mediaType = sniffScanMediaType(bytes);
  return mediaType ? { mediaType } : { problem: 'vault.scan.bad_type' };
}

/** Seals a scan under a fresh file key; returns what to upload and the link the element will hold. */
export function sealScan(mk: Uint8Array, id: string, mediaType: ScanMediaType, bytes: Uint8Array): { sealed: SealedFile; link: FileLink } {
  const sealed = sealFile(mk, { id, mediaType, bytes });
  return { sealed, link: fileLinkFor(sealed) };
}

/** Opens a downloaded scan and checks it is exactly the one the link names (VaultIntegrityError otherwise). */
export function openScan(mk: Uint8Array, link: FileLink, download: { wrappedKey: string; ciphertext: Uint8Array }) {
  return openLinkedFile(mk, download, link);
}

/** The short name of a media type for people ("JPEG", "PNG", "PDF"). */
export function mediaTypeName(mediaType: string): string {
  return mediaType === 'application/pdf' ? 'PDF' : mediaType === 'image/png' ? 'PNG' : 'JPEG';
}
