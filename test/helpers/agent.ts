/**
 * A user agent without a browser, for protocol tests: keeps cookies per origin,
 * follows redirects by hand (so the redirect to the relying party is caught, not
 * fetched) and submits the server's own forms. The Chromium tests cover the pages.
 */
export class FormAgent {
  private readonly jar = new Map<string, Map<string, string>>();

  /** `userAgent`: sent with every request (the account page describes browsers by it). */
  constructor(private readonly userAgent?: string) {}

  private cookieHeader(url: URL): string {
    return [...(this.jar.get(url.host) ?? new Map())].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private store(url: URL, response: Response) {
    const cookies = this.jar.get(url.host) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
      if (expired) cookies.delete(name);
      else cookies.set(name, value);
    }
    this.jar.set(url.host, cookies);
  }

  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target);
    if (cookie) headers.set('cookie', cookie);
    if (this.userAgent && !headers.has('user-agent')) headers.set('user-agent', this.userAgent);
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    this.store(target, response);
    return response;
  }

  /**
   * Follows redirects until a page answers or the location starts with `stopAt`
   * (the relying party's callback); returns the final response and URL.
   */
  async follow(url: string | URL, init: RequestInit = {}, stopAt?: string): Promise<{ response: Response; url: URL }> {
    let current = new URL(url);
    let response = await this.request(current, init);
    for (let hops = 0; hops < 10; hops++) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response, url: current };
      const next = new URL(location, current);
      if (stopAt && next.href.startsWith(stopAt)) return { response, url: next };
      current = next;
      response = await this.request(current);
    }
    throw new Error('too many redirects');
  }

  /** Posts a form on the page at `pageUrl` (url-encoded), following redirects. */
  async submit(pageUrl: URL, action: string, fields: Record<string, string>, stopAt?: string) {
    return this.follow(new URL(action, pageUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    }, stopAt);
  }
}

/** The value of a hidden input in a page. */
export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html) ?? new RegExp(`<input[^>]*value="([^"]*)"[^>]*name="${name}"`).exec(html);
  if (!match) throw new Error(`no hidden field ${name} in page`);
  return match[1]!;
}
