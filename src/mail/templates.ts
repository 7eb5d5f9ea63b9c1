import { direction, t, type Locale } from '../i18n/index.js';

/**
 * The one frame every message uses: greeting, the caller's paragraphs, an optional
 * button with the same link spelled out below it (some clients strip buttons), and
 * the footer. Callers pass text already translated; every value is escaped in the
 * HTML part, so an address or a client name cannot add markup.
 */
export interface GenericMail {
  locale: Locale;
  subject: string;
  paragraphs: string[];
  action?: { label: string; url: string };
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Links in mail go to this server's own pages: anything but http(s) (javascript:, data:) is a bug. */
function safeUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('mail: action link must be http(s)');
  return parsed.href;
}

export function genericMail({ locale, subject, paragraphs, action }: GenericMail): RenderedMail {
  const url = action ? safeUrl(action.url) : undefined;
  const greeting = t(locale, 'mail.greeting');
  const footer = t(locale, 'mail.footer');
  const fallback = t(locale, 'mail.link_fallback');
  const dir = direction(locale);

  const text = [
    greeting,
    ...paragraphs,
    ...(action && url ? [`${action.label}:\n${url}`] : []),
    '--',
    footer,
  ].join('\n\n');

  const p = (s: string, style = '') => `<p style="margin:0 0 16px;${style}">${escapeHtml(s)}</p>`;
  const button =
    action && url
      ? `<p style="margin:24px 0"><a href="${escapeHtml(url)}" style="display:inline-block;padding:12px 20px;background:#1a5e3a;color:#ffffff;text-decoration:none;border-radius:6px">${escapeHtml(action.label)}</a></p>` +
        `<p style="margin:0 0 16px;font-size:13px;color:#555">${escapeHtml(fallback)}<br><span dir="ltr" style="word-break:break-all">${escapeHtml(url)}</span></p>`
      : '';
  const html =
    `<!doctype html>\n<html lang="${locale}" dir="${dir}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(subject)}</title></head>` +
    `<body style="margin:0;padding:24px;font-family:system-ui,-apple-system,'Segoe UI',Tahoma,Arial,sans-serif;line-height:1.5;color:#1b1b1b">` +
    `<div lang="${locale}" dir="${dir}" style="max-width:560px;margin:0 auto;text-align:${dir === 'rtl' ? 'right' : 'left'}">` +
    p(greeting) +
    paragraphs.map((s) => p(s)).join('') +
    button +
    `<hr style="border:none;border-top:1px solid #ddd;margin:24px 0">` +
    p(footer, 'font-size:13px;color:#555') +
    `</div></body></html>\n`;

  return { subject, text, html };
}
