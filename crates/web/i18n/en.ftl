# Symbolon's words in English. Every message here has its twin in ja.ftl (a unit test checks).
# IDs: common-* (both servers), idp-* (identity provider pages), acc-* (the IdP's account
# console), sp-* (service provider pages), err-* (error pages), js-* (the passkey script).

## Page chrome
common-skip = Skip to main content
common-language = Language
common-home = Home
common-time = Time
common-reference = Reference
common-sign-out = Sign out
common-cancel = Cancel
common-remove = Remove
common-rename = Rename
common-none = none

## Error pages
err-help = If you need help, give this time and reference to your administrator: they find what happened under it in the identity provider's events.
err-not-found-title = Not found
err-bad-request-title = This sign-in request cannot be accepted
err-bad-page-title = Bad request
err-internal-title = Something went wrong
err-internal = The sign-in could not be completed. Try again later.
err-busy-title = Busy
err-busy = Too many people are signing in right now. Try again in a moment.
err-unavailable-title = Temporarily unavailable
err-unavailable = The service is temporarily unavailable. Try again in a moment.
err-expired-title = Sign-in expired
err-expired = This sign-in page has expired. Go back to the application and start again.
err-form-title = Invalid form submission
err-form-restart = The form could not be verified. Go back to the application and start again.
err-form-reload = Reload the page and try again.
err-link-used-title = Link used or expired
err-link-used = This registration link was already used or has expired. Ask your administrator for a new one.
err-no-passkeys-title = Passkeys are not available
err-no-passkeys = This sign-in needs a passkey, and passkeys cannot be used at this address. Contact your administrator (the identity provider's base URL must name a host).
err-no-realm = There is no realm “{ $name }” here.
err-no-app = There is no application “{ $name }” in this realm.
err-app-disabled-title = Application disabled
err-app-disabled = This application is disabled. Contact your administrator.
err-access-denied-title = Access denied
err-access-denied = Your account is not allowed to use this application. Contact your administrator if you need access.
err-email-required-title = Email address required
err-email-required = This application identifies you by email address, and your account has none. Contact your administrator.
err-refused-title = Sign-in refused
err-method-refused = This way of signing in is not accepted here.
err-authn-context = The requested authentication context cannot be provided.
err-name-id-format = The requested name identifier format cannot be provided.
err-name-id-format-user = The requested name identifier format cannot be provided for this user.
err-request-refused = The application sent a sign-in request this identity provider does not accept ({ $reason }). Contact the application's administrator.
err-no-saml-request = No SAML request was given.
err-relay-state-long = The RelayState is too long.
err-unknown-action = Unknown action.
err-not-your-session = That session is not one of yours.
err-not-your-passkey = That passkey is not one of yours.
err-passkeys-unused = Passkeys are not used in this realm.
err-slo-no-relay-state = The sign-out answer carries no RelayState.
err-slo-finished = This sign-out has already finished or took too long.

## Identity provider: home
idp-home-title = Symbolon identity provider
idp-home-intro = Applications send you here to sign in. To manage your own sign-in methods and sessions, open your realm's account console.
idp-home-no-realm = No realm is set up yet.
idp-home-account-console = { $realm }: account console
idp-home-admin = Administration console
idp-home-admin-hint = (for administrators)

## Identity provider: sign-in
idp-login-title = Sign in to { $realm }
idp-login-continue = to continue to { $client }
idp-passkey-sign-in = Sign in with a passkey
idp-password-to-enrol = No passkey yet? Sign in with your password to register one
idp-or-password = or with your password
idp-username = Username or email
idp-password = Password
idp-sign-in = Sign in
idp-notice-passkey-required = This application asks for a passkey.
idp-notice-more-than-password = This application asks for more than a password: use your passkey, or your password and second factor.
idp-err-passkey-not-password = This application asks for a passkey; a password cannot be used.
idp-err-locked = Too many failed attempts. Try again in { $count ->
    [one] a minute
   *[other] { $count } minutes
}.
idp-err-credentials = Invalid username or password.
idp-err-passkey-only = This realm accepts passkeys only: sign in with your passkey.
idp-err-passkey-unusable = That passkey could not be used: { $reason }.
idp-err-passkey-not-registered = The passkey could not be registered: { $reason }.
idp-passkey-registered = Your passkey is registered. Now sign in with it.
idp-2fa-title = Verify it's you
idp-2fa-hint = Enter the 6-digit code from your authenticator app, or one of your recovery codes.
idp-2fa-code = Code
idp-2fa-verify = Verify
idp-2fa-locked = Too many wrong codes. Try again in { $count ->
    [one] a minute
   *[other] { $count } minutes
}.
idp-2fa-wrong = That code is not right, or was already used.
idp-2fa-required-title = Two-factor authentication required
idp-2fa-required = { $realm } requires a second factor to sign in to applications, and your account has none yet.
idp-2fa-required-next = Set up an authenticator app in your account, then open the application again.
idp-2fa-set-up = Set up two-factor authentication
idp-enrol-title = Register a passkey
idp-enrol-why = Before you go on, register a passkey: your device's screen lock, fingerprint or face, or a security key. From then on it signs you in without a password, and it cannot be phished.
idp-passkey-name = Name for this passkey
idp-passkey-placeholder = e.g. Work laptop
idp-enrol-button = Register a passkey

## Identity provider: signed out
idp-signed-out-title = Signed out
idp-signed-out = You are signed out of this identity provider.
idp-signed-out-apps = You are signed out of this identity provider and of the applications below.
idp-still-signed-in = May still be signed in
idp-still-signed-in-hint = These applications did not confirm (or offer no single logout). Sign out there, or close the browser.
idp-sign-in-again = Sign in again

## The passkey script's status line
js-cancelled = The passkey request was cancelled or timed out. Try again.
js-failed = Your browser could not use a passkey here.
js-cannot-sign-in = This browser cannot use passkeys here.
js-cannot-create = This browser cannot create passkeys here.
js-follow-prompt = Follow your browser's prompt…
js-signing-in = Signing in…
js-name-first = Give the passkey a name first.
js-saving = Saving…

## Identity provider: the user's account console
acc-title = Your account
acc-profile = Profile
acc-username = Username
acc-email = Email
acc-name = Name
acc-passkeys = Passkeys
acc-passkeys-hint = A passkey signs you in with your device's screen lock, fingerprint or face, or a security key: no password, and nothing a fake site can reuse.
acc-remove-passkey = Remove the passkey “{ $name }”? It will no longer sign you in.
acc-remove-last-passkey = It is your last one: this realm accepts passkeys only, so you will need your password to register a new one.
acc-no-passkey = No passkey yet.
acc-col-name = Name
acc-col-added = Added (UTC)
acc-col-last-used = Last used (UTC)
acc-col-actions = Actions
acc-synced = (synced)
acc-suspended = ⚠ Suspended since { $since } UTC: a sign-in with it showed a signature counter that did not move forward, which happens when a passkey has been copied. If this device is yours and nobody could have copied it, clear the flag; otherwise remove it.
acc-clear-flag = Clear the flag
acc-new-name = New name
acc-remove-named = Remove { $name }
acc-remove-ellipsis = Remove…
acc-new-passkey-name = Name for a new passkey
acc-add-passkey = Add a passkey
acc-mfa = Two-factor authentication
acc-codes-intro = Keep these recovery codes somewhere safe. Each works once, instead of a code from the app. They are shown only now.
acc-scan = Scan this code with your authenticator app, or enter the key by hand, then type the 6-digit code it shows.
acc-qr-label = QR code for your authenticator app
acc-key = Key:
acc-code-from-app = Code from the app
acc-turn-on = Turn on
acc-mfa-on = On: an authenticator app. { $count ->
    [one] One recovery code left.
   *[other] { $count } recovery codes left.
}
acc-mfa-off-confirm = Turn off two-factor authentication? Your password alone will then sign you in, and applications that require it will refuse you.
acc-turn-off = Turn off
acc-turn-off-ellipsis = Turn off…
acc-mfa-off = Off. Add an authenticator app so that a stolen password is not enough.
acc-set-up-app = Set up an authenticator app
acc-sessions = Signed-in sessions
acc-col-started = Started (UTC)
acc-col-method = Method
acc-this-session = (this session)
acc-sign-out-everywhere = Sign out everywhere
acc-sign-out-everywhere-hint = Ends this session and asks every application it signed you in to to sign you out too.
acc-apps = Applications
acc-no-apps = No application to launch.
acc-setup-expired = The set-up expired. Start again.
acc-code-wrong = That code is not right. Check the app's clock and try the current code.
acc-mfa-now-on = Two-factor authentication is on.
acc-mfa-now-off = Two-factor authentication is off.
acc-session-signed-out = That session is signed out.
acc-passkey-added = Passkey added.
acc-passkey-add-failed = The passkey could not be added: { $reason }.
acc-passkey-unflagged = The passkey signs in again.
acc-passkey-renamed = Passkey renamed.
acc-passkey-removed = Passkey removed.

## Service provider: end users
sp-sign-in-title = Sign in
sp-welcome-intro = Most people sign in through their company's identity provider: open this application from your identity provider's portal or app list, or use the sign-in link your administrator gave you.
sp-welcome-native = Sign in with your email address and password
sp-welcome-native-hint = Email and password sign-in is for account administrators and users who were given a password.
sp-login-intro = Account administrators and users with a password sign in here. Everyone else signs in through their company's identity provider.
sp-email = Email address
sp-password = Password
sp-err-enter-both = Enter your email address and password.
sp-err-locked = Too many failed attempts. Try again in a few minutes.
sp-err-credentials = Wrong email address or password.
sp-choose = Choose an account and role
sp-choose-short = Choose an account
sp-choice-unavailable = That choice is not available.
sp-signed-in-as = Signed in as
sp-not-offered = Not available through single sign-on
sp-welcome-user = Welcome, { $name }
sp-account = Account
sp-role = Role
sp-signed-in-at = Signed in at
sp-switch = Switch account or role
sp-no-access-title = No access
sp-no-access = Your identity provider signed you in, but no account here gives you a role. Ask your administrator to map one of your groups to a role or to add you as a SAML account.
sp-administration = Administration
sp-sign-in-failed = Sign-in failed
sp-reference-hint = If you ask your administrator for help, give them this time and reference: they find the details under Failed sign-ins.
sp-start-page = Go to the start page
sp-unreadable = The sign-in message from your identity provider could not be read. Start again from your identity provider.
sp-unknown-idp = This service does not know the identity provider that signed you in.
sp-not-accepted = The sign-in message from your identity provider could not be accepted: it may have expired, or it may not be meant for this service. Start again from your identity provider.
sp-replayed = This sign-in was already used. Start again from your identity provider.
sp-master-refused = Master Administrators cannot use SSO. Sign in to this account with your email address and password.
sp-deprovisioned = Your access to this account was turned off by your organization's user provisioning. Ask your administrator to restore it.
sp-other-browser = This sign-in was started in another browser. Start again.
sp-no-response = The request carries no SAMLResponse.
sp-undecodable = The SAMLResponse could not be decoded.
sp-too-large = The sign-in message is too large to be accepted. If this keeps happening, ask your identity provider's administrator to send fewer or shorter attributes.
sp-not-a-post = The ACS expects an HTML form post (HTTP-POST binding) with a SAMLResponse.
sp-try-shortly = The service is unavailable. Try again shortly.
sp-which-idp = Say which identity provider to use (?idp=...).
sp-no-such-idp = There is no such identity provider.
sp-not-signed-in = Not signed in
sp-sign-in-first = Sign in through your identity provider first.
sp-sign-out-failed = Sign-out failed
sp-sign-out-refused = The sign-out message could not be accepted.
sp-signed-out-title = Signed out
sp-signed-out-partial = You are signed out here and at your identity provider, but not every application confirmed: some may still be signed in. Close the browser to be sure.
sp-signed-out-idp-unconfirmed = You are signed out here. Your identity provider could not confirm that its own session ended.
sp-signed-out = You are signed out. Sign in again through your identity provider, or at /login with a password.

## Consoles: the frame around every administration page
console-skip = Skip to main content
console-navigation = Administration
console-signed-in-as = Signed in as { $name }
console-sign-out = Sign out
idp-nav-realms = Realms
idp-nav-tokens = API tokens
idp-nav-realm = Realm
idp-nav-change-realm = Change realm
idp-nav-clients = Clients
idp-nav-users = Users
idp-nav-groups = Groups
idp-nav-roles = Roles
idp-nav-sessions = Sessions
idp-nav-settings = Realm settings
idp-nav-keys = Keys
idp-nav-events = Events
idp-console-title = Symbolon admin
sp-nav-account = Account
sp-nav-administration = Administration
sp-nav-idps = Identity Provider
sp-nav-saml-accounts = User Accounts
sp-nav-users = Users
sp-nav-roles = Roles
sp-nav-saml-users = Users > SAML
sp-nav-audit = Audit log
sp-nav-failed = Failed sign-ins
sp-nav-settings = Account settings
sp-nav-back = Back to { $account }
