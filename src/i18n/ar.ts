import type { MessageKey } from './en.js';

/**
 * Arabic messages (Modern Standard Arabic). Same keys as `en.ts`: the type makes a
 * missing or extra key a compile error, and a unit test checks it again at run time.
 */
export const ar: { readonly [K in MessageKey]: string } = {
  'product.name': 'وثيقة',
  'language.name': 'العربية',
  'language.switcher': 'اللغة',
  'footer.text': 'وثيقة — مزوّد هوية OpenID Connect مع خزنة خاصة للوثائق.',
  'footer.skip': 'انتقل إلى المحتوى الرئيسي',

  'title.login': 'تسجيل الدخول',
  'title.signup': 'إنشاء حساب',
  'title.consent': 'السماح بالوصول',
  'title.error': 'خطأ',
  'title.not-found': 'الصفحة غير موجودة',
  'title.logout': 'تسجيل الخروج',
  'title.logged-out': 'تم تسجيل الخروج',
  'title.home': 'وثيقة',

  'form.email': 'البريد الإلكتروني',
  'form.password': 'كلمة المرور',
  'form.password_confirm': 'تأكيد كلمة المرور',
  'form.password_show': 'إظهار كلمة المرور',
  'form.password_hide': 'إخفاء كلمة المرور',
  'form.password_hint': '8 أحرف على الأقل، و15 حرفًا أو أكثر أفضل. يُسمح بأي حرف، بما في ذلك المسافات.',
  'form.password_count_short': 'عدد الأحرف: {count}. كلمة المرور قصيرة جدًا.',
  'form.password_count_ok': 'عدد الأحرف: {count}. الطول كافٍ، و15 حرفًا أو أكثر أفضل.',
  'form.password_count_good': 'عدد الأحرف: {count}. طول جيد.',
  'form.password_count_long': 'عدد الأحرف: {count}. كلمة المرور طويلة جدًا (256 حرفًا على الأكثر).',
  'form.password_mismatch_live': 'كلمتا المرور غير متطابقتين.',
  'form.cancel': 'إلغاء',
  'form.sending': 'جارٍ الإرسال…',

  'client.policy': 'سياسة الخصوصية',
  'client.tos': 'شروط الخدمة',
  'client.website': 'الموقع الإلكتروني',
  'client.links': 'عن {client}',

  'login.heading': 'سجّل الدخول للمتابعة إلى {client}',
  'login.submit': 'تسجيل الدخول',
  'login.no_account': 'جديد على وثيقة؟',
  'login.signup_link': 'إنشاء حساب',

  'signup.heading': 'أنشئ حسابك في وثيقة',
  'signup.subheading': 'ستتابع بعد ذلك إلى {client}.',
  'signup.submit': 'إنشاء الحساب',
  'signup.login_link': 'لديّ حساب بالفعل',

  'consent.heading': 'يطلب {client} الوصول إلى حسابك في وثيقة',
  'consent.signed_in_as': 'سجّلت الدخول باسم {email}',
  'consent.not_you': 'لست أنت؟',
  'consent.asks_for': 'يطلب {client} الإذن بما يلي:',
  'consent.asks_for_more': 'سبق أن منحت {client} إذنًا، وهو يطلب الآن أيضًا الإذن بما يلي:',
  'consent.claims': 'ويطلب أيضًا هذه البيانات:',
  'consent.allow': 'السماح',
  'consent.deny': 'الرفض',
  'consent.review_links': 'قبل أن تقرر، يمكنك الاطلاع على كيفية استخدام {client} لبياناتك:',

  'scope.openid': 'معرفة هويتك (معرّف فريد لحسابك في وثيقة)',
  'scope.email': 'الاطلاع على بريدك الإلكتروني',
  'scope.offline_access': 'الاحتفاظ بالوصول إلى هذه البيانات حين لا تستخدم {client}',

  'claim.sub': 'معرّف حسابك',
  'claim.email': 'بريدك الإلكتروني',
  'claim.email_verified': 'ما إذا كان بريدك الإلكتروني موثَّقًا',

  'error.heading': 'حدث خطأ ما',
  'error.code': 'رمز الخطأ',
  'error.description': 'التفاصيل',
  'error.home': 'الذهاب إلى الصفحة الرئيسية',
  'error.generic': 'حدث خطأ ما. يُرجى المحاولة مرة أخرى.',
  'error.invalid_email': 'أدخل بريدًا إلكترونيًا صحيحًا، مثل name@example.com.',
  'error.too_short': 'كلمة المرور قصيرة جدًا. استخدم 8 أحرف على الأقل.',
  'error.too_long': 'كلمة المرور طويلة جدًا. استخدم 256 حرفًا على الأكثر.',
  'error.too_common': 'كلمة المرور هذه شائعة جدًا ويسهل تخمينها. اختر كلمة مرور أخرى.',
  'error.email_taken': 'يوجد حساب بهذا البريد الإلكتروني بالفعل. سجّل الدخول بدلًا من ذلك.',
  'error.invalid_credentials': 'البريد الإلكتروني أو كلمة المرور غير صحيحة.',
  'error.account_locked': 'محاولات فاشلة كثيرة جدًا لهذا الحساب. حاول مرة أخرى بعد {duration}.',
  'error.ip_limited': 'محاولات كثيرة جدًا من شبكتك. حاول مرة أخرى بعد {duration}.',
  'error.password_mismatch': 'كلمتا المرور غير متطابقتين.',
  'error.csrf': 'انتهت صلاحية جلستك أو أُرسل النموذج مرتين. يُرجى المحاولة مرة أخرى.',
  'error.session_expired': 'انتهت صلاحية جلسة تسجيل الدخول. عُد إلى التطبيق وابدأ من جديد.',

  'not-found.heading': 'الصفحة غير موجودة',
  'not-found.text': 'لا يوجد شيء على هذا العنوان. تحقّق من الرابط، أو ابدأ من جديد من التطبيق الذي أتيت منه.',

  'logout.heading': 'هل تريد تسجيل الخروج من وثيقة؟',
  'logout.from_client': 'يطلب {client} تسجيل خروجك.',
  'logout.yes': 'نعم، سجّل خروجي',
  'logout.no': 'لا، أبقِني مسجّلًا',

  'logged-out.heading': 'تم تسجيل خروجك',
  'logged-out.text': 'لم تعد مسجّلًا الدخول إلى وثيقة في هذا المتصفح.',
  'logged-out.from_client': 'سجّلت الخروج من {client}.',

  'home.heading': 'وثيقة',
  'home.text':
    'وثيقة مزوّد هوية يعمل بمعيار OpenID Connect: تسجّل الدخول إلى خدمات أخرى بحسابك في وثيقة، وتقرّر أنت ما يمكنها الاطلاع عليه.',
  'home.issuer': 'الجهة المُصدِرة',
  'home.discovery': 'مستند اكتشاف OpenID Connect',
  'title.account': 'حسابك',
  'account.heading': 'حسابك في وثيقة',
  'account.signed_in_as': 'سجّلت الدخول باسم {email}',
  'account.noscript': 'تُشفَّر مستنداتك وتُفكّ في هذه الصفحة، لذا تحتاج إلى JavaScript.',
  'account.sign_out': 'تسجيل الخروج',
};
