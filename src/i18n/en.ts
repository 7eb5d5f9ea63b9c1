/**
 * English messages: the reference catalog. Every key here must exist in `ar.ts`
 * too (a unit test checks both ways). `{name}` is replaced by `t(locale, key, { name })`.
 */
export const en = {
  'product.name': 'Wathiqa',
  'language.name': 'English',
  'language.switcher': 'Language',
  'footer.text': 'Wathiqa — an OpenID Connect provider with a private document vault.',
  'footer.skip': 'Skip to main content',

  'title.login': 'Sign in',
  'title.signup': 'Create an account',
  'title.consent': 'Allow access',
  'title.error': 'Error',
  'title.not-found': 'Page not found',
  'title.logout': 'Sign out',
  'title.logged-out': 'Signed out',
  'title.home': 'Wathiqa',

  'form.email': 'Email',
  'form.password': 'Password',
  'form.password_confirm': 'Confirm password',
  'form.password_show': 'Show password',
  'form.password_hide': 'Hide password',
  'form.password_hint': 'At least 8 characters. 15 or more is better. Any characters, spaces included.',
  'form.password_count_short': '{count} characters: too short.',
  'form.password_count_ok': '{count} characters: long enough. 15 or more is better.',
  'form.password_count_good': '{count} characters: good length.',
  'form.password_count_long': '{count} characters: too long (256 at most).',
  'form.password_mismatch_live': 'The passwords do not match.',
  'form.cancel': 'Cancel',
  'form.sending': 'Sending…',

  'client.policy': 'Privacy policy',
  'client.tos': 'Terms of service',
  'client.website': 'Website',
  'client.links': 'About {client}',

  'login.heading': 'Sign in to continue to {client}',
  'login.submit': 'Sign in',
  'login.no_account': 'New to Wathiqa?',
  'login.signup_link': 'Create an account',

  'signup.heading': 'Create your Wathiqa account',
  'signup.subheading': 'You will then continue to {client}.',
  'signup.submit': 'Create account',
  'signup.login_link': 'I already have an account',

  'consent.heading': '{client} wants to access your Wathiqa account',
  'consent.signed_in_as': 'Signed in as {email}',
  'consent.not_you': 'Not you?',
  'consent.asks_for': '{client} is asking to:',
  'consent.asks_for_more': 'You have allowed {client} before. It is now also asking to:',
  'consent.claims': 'It also asks for these details:',
  'consent.allow': 'Allow',
  'consent.deny': 'Deny',
  'consent.review_links': 'Before you decide, you can read how {client} uses your data:',

  'scope.openid': 'Know who you are (a unique identifier for your Wathiqa account)',
  'scope.email': 'See your email address',
  'scope.offline_access': 'Keep access to these details when you are not using {client}',

  'claim.sub': 'Your account identifier',
  'claim.email': 'Your email address',
  'claim.email_verified': 'Whether your email address is verified',

  'error.heading': 'Something went wrong',
  'error.code': 'Error code',
  'error.description': 'Details',
  'error.home': 'Go to the home page',
  'error.generic': 'Something went wrong. Please try again.',
  'error.invalid_email': 'Enter a valid email address, like name@example.com.',
  'error.too_short': 'Your password is too short. Use at least 8 characters.',
  'error.too_long': 'Your password is too long. Use at most 256 characters.',
  'error.too_common': 'This password is too common and easy to guess. Choose a different one.',
  'error.email_taken': 'An account with this email already exists. Sign in instead.',
  'error.invalid_credentials': 'Wrong email or password.',
  'error.account_locked': 'Too many failed attempts for this account. Try again in {duration}.',
  'error.ip_limited': 'Too many attempts from your network. Try again in {duration}.',
  'error.password_mismatch': 'The two passwords do not match.',
  'error.csrf': 'Your session expired or the form was sent twice. Please try again.',
  'error.session_expired': 'Your sign-in session expired. Go back to the application and start again.',

  'not-found.heading': 'Page not found',
  'not-found.text': 'There is nothing at this address. Check the link, or start again from the application you came from.',

  'logout.heading': 'Sign out of Wathiqa?',
  'logout.from_client': '{client} is asking to sign you out.',
  'logout.yes': 'Yes, sign me out',
  'logout.no': 'No, stay signed in',

  'logged-out.heading': 'You are signed out',
  'logged-out.text': 'You are no longer signed in to Wathiqa on this browser.',
  'logged-out.from_client': 'You signed out from {client}.',

  'home.heading': 'Wathiqa',
  'home.text':
    'Wathiqa is an OpenID Connect provider: you sign in to other services with your Wathiqa account, and you decide what they may see.',
  'home.issuer': 'Issuer',
  'home.discovery': 'OpenID Connect discovery document',
  'title.account': 'Your account',
  'account.heading': 'Your Wathiqa account',
  'account.signed_in_as': 'Signed in as {email}',
  'account.noscript': 'Your documents are encrypted and decrypted in this page, so it needs JavaScript.',
  'account.sign_out': 'Sign out',
} as const satisfies Record<string, string>;

export type MessageKey = keyof typeof en;
