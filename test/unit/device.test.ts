import { describe, expect, it } from '@jest/globals';
import { coarseNetwork, describeDevice } from '../../src/accounts/device.js';
import { timeAgo } from '../../src/i18n/index.js';

/** The account page's coarse description of a signed-in browser (issue "People's accounts", point 6). */
describe('describeDevice', () => {
  const cases: [string, string | null, string | null][] = [
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 'Chrome', 'Linux'],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36', 'Chrome', 'Linux'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0', 'Edge', 'Windows'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0', 'Opera', 'Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox', 'macOS'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'Safari', 'macOS'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'Safari', 'iOS'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1', 'Chrome', 'iOS'],
    ['Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36', 'Samsung Internet', 'Android'],
    ['Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0', 'Firefox', 'Android'],
    ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 'Chrome', 'ChromeOS'],
    ['curl/8.5.0', null, null],
    ['node', null, null],
    ['', null, null],
  ];
  it.each(cases)('%s', (ua, browser, os) => {
    expect(describeDevice(ua)).toEqual({ browser, os });
  });

  it('reads only a bounded prefix of the header', () => {
    expect(describeDevice(`${'x'.repeat(600)} Firefox/128.0 (Windows)`)).toEqual({ browser: null, os: null });
    expect(describeDevice(undefined)).toEqual({ browser: null, os: null });
  });
});

describe('coarseNetwork', () => {
  it.each([
    ['203.0.113.77', '203.0.113.x'],
    ['127.0.0.1', '127.0.0.x'],
    ['::ffff:198.51.100.9', '198.51.100.x'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::/48'],
    ['2001:DB8:85A3::1', '2001:db8:85a3::/48'],
    ['2001:db8::1', '2001:db8::/48'],
    ['fe80::1%eth0', 'fe80::/48'],
    ['::1', '::/48'],
  ])('%s is shown as %s', (ip, network) => {
    expect(coarseNetwork(ip)).toBe(network);
  });

  it('keeps nothing of what is not an address', () => {
    for (const value of [undefined, '', 'localhost', '1.2.3', '203.0.113.300', '2001:db8::1::2', 'not:an:address']) {
      expect(coarseNetwork(value)).toBeNull();
    }
  });
});

describe('timeAgo', () => {
  const now = new Date('2026-05-01T12:00:00Z');
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
  it('says how long ago in the largest whole unit, in both languages', () => {
    expect(timeAgo('en', ago(20), now)).toBe('just now');
    expect(timeAgo('ar', ago(20), now)).toBe('قبل لحظات');
    expect(timeAgo('en', ago(150), now)).toBe('2 minutes ago');
    expect(timeAgo('en', ago(3 * 3600 + 10), now)).toBe('3 hours ago');
    expect(timeAgo('en', ago(86400 + 5), now)).toBe('yesterday');
    expect(timeAgo('en', ago(20 * 86400), now)).toBe('2 weeks ago');
    expect(timeAgo('ar', ago(150), now)).toBe('قبل دقيقتين');
    expect(timeAgo('ar', ago(86400 + 5), now)).toBe('أمس');
    // A clock a little ahead of the database's is "just now", not "in 2 seconds".
    expect(timeAgo('en', ago(-2), now)).toBe('just now');
  });
});
