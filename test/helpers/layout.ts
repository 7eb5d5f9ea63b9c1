import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

/**
 * The layout guard (issue #11 point 7): every visible text field fills its form
 * column and is at least 24 CSS px tall (WCAG 2.2 target size), and axe-core
 * finds nothing. Both return readable problems, so a failing test names the page,
 * the field and the numbers.
 */

/** WCAG 2.2 SC 2.5.8: targets at least 24 × 24 CSS px. */
export const MIN_TARGET_PX = 24;
/** Sub-pixel layout (fractional widths, rounding in RTL): half a pixel is not a shrunk field. */
const TOLERANCE_PX = 0.5;

export interface FieldProblem {
  field: string;
  problem: string;
}

/**
 * Text-like controls: inputs that take typed text (not checkboxes, radios, files or
 * buttons), selects and textareas. "Its form column" is the nearest `.field` (the
 * label, control, hint and error of one field, which is also one grid cell when
 * fields sit side by side); a control that shares a row with a button (the password
 * show/hide toggle) is measured as that row. The column itself must fill its parent
 * unless the parent lays fields out in a grid or flex row.
 */
export async function fieldLayoutProblems(page: Page): Promise<FieldProblem[]> {
  return page.evaluate(
    ({ min, tolerance }) => {
      const NOT_TEXT = new Set(['hidden', 'checkbox', 'radio', 'file', 'submit', 'button', 'reset', 'image', 'range', 'color']);
      const contentWidth = (el: Element) => {
        const style = getComputedStyle(el);
        return el.getBoundingClientRect().width - parseFloat(style.paddingInlineStart) - parseFloat(style.paddingInlineEnd) - parseFloat(style.borderInlineStartWidth) - parseFloat(style.borderInlineEndWidth);
      };
      const visible = (el: HTMLElement) => {
        const rect = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        return rect.width > 0 && rect.height > 0 && style.visibility !== 'hidden' && style.display !== 'none';
      };
      const name = (el: HTMLElement) => {
        const label = el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`)?.textContent?.trim() : undefined;
        return `${el.tagName.toLowerCase()}${el.getAttribute('type') ? `[type=${el.getAttribute('type')}]` : ''} "${label ?? el.getAttribute('name') ?? el.id}"`;
      };
      const problems: { field: string; problem: string }[] = [];
      const controls = Array.from(document.querySelectorAll<HTMLElement>('input, select, textarea')).filter(
        (el) => !(el instanceof HTMLInputElement && NOT_TEXT.has(el.type)) && visible(el),
      );
      for (const control of controls) {
        const field = name(control);
        const rect = control.getBoundingClientRect();
        if (rect.height < min - tolerance) problems.push({ field, problem: `height ${rect.height.toFixed(1)} px < ${min} px` });
        const column = control.closest<HTMLElement>('.field') ?? control.closest<HTMLElement>('form') ?? control.parentElement!;
        const row = control.closest<HTMLElement>('.password-row') ?? control;
        const rowWidth = row.getBoundingClientRect().width;
        const columnWidth = contentWidth(column);
        if (rowWidth < columnWidth - tolerance) problems.push({ field, problem: `width ${rowWidth.toFixed(1)} px < its column's ${columnWidth.toFixed(1)} px` });
        // The control takes the row's room beside its button, not a sliver of it.
        if (row !== control && rect.width < rowWidth / 2) problems.push({ field, problem: `width ${rect.width.toFixed(1)} px is less than half its row (${rowWidth.toFixed(1)} px)` });
        const parent = column.parentElement;
        if (column.classList.contains('field') && parent) {
          const display = getComputedStyle(parent).display;
          const laidOut = display.includes('grid') || (display.includes('flex') && getComputedStyle(parent).flexDirection.startsWith('row'));
          const parentWidth = contentWidth(parent);
          const width = column.getBoundingClientRect().width;
          if (!laidOut && width < parentWidth - tolerance) problems.push({ field, problem: `its .field is ${width.toFixed(1)} px wide in a ${parentWidth.toFixed(1)} px form` });
        }
      }
      return problems;
    },
    { min: MIN_TARGET_PX, tolerance: TOLERANCE_PX },
  );
}

/** How many text-like fields the guard measured (a page with none would pass vacuously). */
export async function countTextFields(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      Array.from(document.querySelectorAll<HTMLElement>('input, select, textarea')).filter((el) => {
        if (el instanceof HTMLInputElement && ['hidden', 'checkbox', 'radio', 'file', 'submit', 'button', 'reset', 'image', 'range', 'color'].includes(el.type)) return false;
        const rect = el.getBoundingClientRect();
        return rect.width > 0 && rect.height > 0;
      }).length,
  );
}

/** axe-core's violations (WCAG 2.x A/AA and best practice), one line each: rule, impact, the elements. */
export async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
