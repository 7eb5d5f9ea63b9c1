/**
 * Element forms ↔ element data. Forms are generated from elementSpec(type); the
 * protocol's schema is the only validator, and its ElementDataError (paths and
 * issue codes, never values) becomes one translated message per field.
 */
import { isCalendarDate, type ElementDataIssue, type ElementSpec, type FieldSpec } from '../../protocol/index.js';
import type { Vars } from './i18n.js';

export type FormValues = Record<string, string>;

/** Every field of the spec as a form string ('' when absent). */
export function formValuesFromData(spec: ElementSpec, data: Readonly<Record<string, unknown>> | undefined): FormValues {
  const values: FormValues = {};
  for (const field of spec.fields) {
    const value = data?.[field.name];
    values[field.name] = typeof value === 'string' ? value : '';
  }
  return values;
}

/**
 * Form strings → candidate data for the schema. Optional fields left blank are
 * left out; required ones are kept even when blank, so the schema names them.
 */
export function dataFromFormValues(spec: ElementSpec, values: Readonly<FormValues>): Record<string, string> {
  const data: Record<string, string> = {};
  for (const field of spec.fields) {
    const value = values[field.name] ?? '';
    if (!field.required && value.trim() === '') continue;
    data[field.name] = value;
  }
  return data;
}

export interface FieldProblem {
  key: string;
  vars?: Vars;
}

function problemFor(field: FieldSpec, issue: ElementDataIssue, values: Readonly<FormValues>): FieldProblem {
  const value = (values[field.name] ?? '').trim();
  if (value === '') return { key: field.required ? 'vault.error.required' : 'vault.error.invalid' };
  if (
    field.name === 'date_of_expiry' &&
    isCalendarDate(value) &&
    isCalendarDate((values.date_of_issuance ?? '').trim()) &&
    (values.date_of_issuance ?? '').trim() > value
  ) {
    return { key: 'vault.error.expiry_before_issue' };
  }
  if (issue.code === 'too_big' && field.maxLength !== undefined) return { key: 'vault.error.too_long', vars: { max: field.maxLength } };
  switch (field.kind) {
    case 'date':
      return { key: 'vault.error.date' };
    case 'country':
      return { key: 'vault.error.country' };
    case 'gender':
      return { key: 'vault.error.gender' };
    case 'phone':
      return { key: 'vault.error.phone' };
    case 'email':
      return { key: 'vault.error.email' };
    case 'text':
      return issue.code === 'custom' ? { key: 'vault.error.characters' } : { key: 'vault.error.invalid' };
  }
}

/**
 * One problem per field (the first issue wins); issues that name no field of the
 * spec are returned under "" so the form can still say something.
 */
export function fieldProblems(spec: ElementSpec, issues: readonly ElementDataIssue[], values: Readonly<FormValues>): Map<string, FieldProblem> {
  const problems = new Map<string, FieldProblem>();
  for (const issue of issues) {
    const name = typeof issue.path[0] === 'string' ? issue.path[0] : '';
    const field = spec.fields.find((f) => f.name === name);
    const key = field ? field.name : '';
    if (problems.has(key)) continue;
    problems.set(key, field ? problemFor(field, issue, values) : { key: 'vault.error.invalid' });
  }
  return problems;
}
