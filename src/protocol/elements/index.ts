export { COUNTRY_CODES, isCountryCode, type CountryCode } from './countries.js';
export {
  E164_PATTERN,
  FIELDS,
  GENDERS,
  isCalendarDate,
  type FieldKind,
  type FieldName,
  type Gender,
} from './fields.js';
export {
  elementContentSchema,
  elementFilesSchema,
  fileLinks,
  fileLinkSchema,
  parseElementContent,
  parseElementFiles,
} from './content.js';
export {
  elementSchema,
  elementSpec,
  I18N_KEYS,
  isElementType,
  parseElementData,
  type ElementSpec,
  type FieldSpec,
  type SlotSpec,
} from './registry.js';
export {
  isScanMediaType,
  MAX_FILE_CIPHERTEXT_BYTES,
  MAX_FILES_PER_SLOT,
  MAX_SCAN_BYTES,
  SCAN_MEDIA_TYPES,
  sniffScanMediaType,
  type ScanMediaType,
} from './scans.js';
export {
  ELEMENT_TABLE,
  ELEMENT_TYPE_ALIASES,
  ELEMENT_TYPES,
  SLOT_NAMES,
  type AnyElementData,
  type ElementContent,
  type ElementData,
  type ElementFiles,
  type ElementType,
  type FileLink,
  type SlotName,
} from './table.js';
