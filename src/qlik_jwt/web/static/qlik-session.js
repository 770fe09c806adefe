// The browser's side of Qlik's JWT login, against one base URL.
//
// Every Qlik call goes to `baseUrl`: the tenant itself in direct mode; this web app in
// proxy mode. Nothing else in the front end knows where the tenant is. In proxy mode the
// page gets no `tokenUrl`: the web app logs in to Qlik for the browser on its first
// proxied call and adds Qlik's CSRF token itself, so the page holds neither.
//
// In proxy mode a call may be answered "queued" (the web app's login waits its turn under
// Qlik's rate limit): onWaiting(message) is told, and the call is made again when the
// answer's Retry-After says.
//
// establish() resolves with { csrfToken, user, reused } once the browser holds a Qlik
// session, or throws a QlikFlowError whose `kind` says what went wrong:
//   origin-refused, tenant-unreachable, token-refused, login-refused, not-signed-in,
//   third-party-cookies-blocked, interactive-login-needed, unexpected-answer.
// `user` is a promise of the Qlik user (users/me); it rejects with "other-qlik-user" when a
// reused session belongs to another subject (then call login()), or with
// "third-party-cookies-blocked".

export class QlikFlowError extends Error {
  constructor(kind, message, { fix = "", detail = "", link = "" } = {}) {
    super(message);
    this.name = "QlikFlowError";
    this.kind = kind;
    this.fix = fix;
    this.detail = detail;
    this.link = link;
  }
}

// Qlik's error body: {"errors":[{"code","title","detail","status"}]}.
async function qlikErrorText(response) {
  try {
    const body = await response.json();
    const first = body && Array.isArray(body.errors) ? body.errors[0] : null;
    if (first) {
      return [first.code, first.title, first.detail].filter(Boolean).join(" · ");
    }
  } catch {
    // not JSON: fall back to the status line
  }
  return `HTTP ${response.status}`;
}

// Refusals in the web app's own shape, {"error": {"code", "message", "fix"}}, come from
// its proxy (proxy mode); their codes map to the kinds above.
const APP_ERROR_KINDS = {
  "tenant-unreachable": "tenant-unreachable",
  "tenant-timeout": "tenant-unreachable",
  "qlik-login-refused": "login-refused",
  "qlik-session-refused": "login-refused",
  "not-signed-in": "not-signed-in",
  "rate-limited": "token-refused",
  "jwt-login-off": "token-refused",
};

async function appError(response) {
  if (response.ok) return null;
  let error;
  try {
    error = (await response.clone().json()).error;
  } catch {
    return null;
  }
  if (!error || typeof error.code !== "string") return null;
  return new QlikFlowError(APP_ERROR_KINDS[error.code] || "unexpected-answer", error.message || error.code, {
    fix: error.fix || "",
    detail: error.code,
  });
}

// POST to this web app's token route (/token or /access-token; same origin, CSRF header) and
// return its JSON body; a refusal becomes a QlikFlowError whose kind comes from `kinds`
// (the refusal's code → kind; "token-refused" otherwise).
export async function postForCredential(url, csrfHeader, csrfToken, kinds = {}) {
  let response;
  try {
    response = await fetch(url, { method: "POST", credentials: "same-origin", headers: { [csrfHeader]: csrfToken } });
  } catch (error) {
    throw new QlikFlowError("token-refused", "This web app could not be reached.", { detail: String(error) });
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = body.error || {};
    const wait = response.headers.get("Retry-After");
    throw new QlikFlowError(kinds[error.code] || "token-refused", error.message || `The token request failed (${response.status}).`, {
      fix: wait ? `${error.fix || ""} Retry in ${wait} s.`.trim() : error.fix || "Reload the page.",
      detail: error.code || "",
    });
  }
  return body;
}

export function createQlikSession(options) {
  const {
    baseUrl,
    webIntegrationId,
    loginMode,
    subject,
    tokenUrl,
    csrfHeader,
    csrfToken: appCsrfToken,
    sessionLikely,
    pageOrigin = window.location.origin,
    returnTo = window.location.href,
    onWaiting = () => {},
  } = options;
  const wiid = encodeURIComponent(webIntegrationId);
  const withWiid = (path) => `${baseUrl}${path}${path.includes("?") ? "&" : "?"}qlik-web-integration-id=${wiid}`;

  // Cross-site calls carry the tenant's cookies and name the web integration twice: in the
  // header (checked on the request) and in the query (visible to the CORS preflight).
  async function qlikFetch(path, init = {}) {
    const headers = { "qlik-web-integration-id": webIntegrationId, ...(init.headers || {}) };
    for (;;) {
      let response;
      try {
        response = await fetch(withWiid(path), { mode: "cors", credentials: "include", ...init, headers });
      } catch (error) {
        throw await unreachableOrRefused(error);
      }
      // Proxy mode: the web app's login waits its turn under Qlik's rate limit. Show how
      // long, and ask again when it says.
      if (response.status !== 503 || response.headers.get("qlik-jwt-login") !== "queued") {
        return response;
      }
      const body = await response.json().catch(() => ({}));
      onWaiting((body.error && body.error.message) || "Waiting for Qlik to accept the login.");
      const seconds = Number(response.headers.get("Retry-After")) || 1;
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    }
  }

  // A CORS failure and a dead tenant look alike to fetch(); a no-cors request tells them
  // apart: it succeeds (opaquely) whenever the tenant answers at all.
  async function unreachableOrRefused(error) {
    try {
      await fetch(`${baseUrl}/api/v1/csrf-token`, { mode: "no-cors", credentials: "omit" });
    } catch {
      return new QlikFlowError("tenant-unreachable", `The tenant ${baseUrl} cannot be reached.`, {
        fix: `Check the tenant URL (QLIK_TENANT_URL) and that it is running. A tenant with a self-signed certificate (the demo's emulator) must be opened once at ${baseUrl}/ and its certificate accepted.`,
        detail: String(error),
      });
    }
    return new QlikFlowError(
      "origin-refused",
      `The tenant refused this page's origin ${pageOrigin}.`,
      {
        fix: `Add ${pageOrigin} to the allowed origins (validOrigins) of web integration ${webIntegrationId}.`,
        detail: "The browser blocked the answer: it carried no CORS permission for this origin.",
      },
    );
  }

  async function csrfProbe() {
    const response = await qlikFetch("/api/v1/csrf-token");
    if (response.status === 204) {
      // A proxy says when it has just logged in for this call.
      const loggedIn = response.headers.get("qlik-jwt-login") === "new";
      return { ok: true, token: response.headers.get("qlik-csrf-token"), loggedIn };
    }
    const failure = await appError(response);
    if (failure) throw failure;
    if (response.status === 401) {
      return { ok: false };
    }
    throw new QlikFlowError("unexpected-answer", "The tenant's CSRF token endpoint failed.", {
      detail: await qlikErrorText(response),
    });
  }

  async function currentUser() {
    const response = await qlikFetch("/api/v1/users/me");
    const failure = await appError(response);
    if (failure) throw failure;
    if (response.status === 401) {
      return null;
    }
    if (!response.ok) {
      throw new QlikFlowError("unexpected-answer", "The tenant could not say who is signed in.", {
        detail: await qlikErrorText(response),
      });
    }
    return response.json();
  }

  async function fetchToken() {
    return (await postForCredential(tokenUrl, csrfHeader, appCsrfToken)).token;
  }

  async function loginWithToken(token) {
    const response = await qlikFetch("/login/jwt-session", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!response.ok) {
      throw new QlikFlowError("login-refused", "Qlik refused the login token.", {
        detail: await qlikErrorText(response),
        fix: "Compare the token with the tenant's JWT identity provider: `qlik-jwt doctor` explains each code.",
      });
    }
  }

  function interactiveLoginUrl() {
    return withWiid(`/login?returnto=${encodeURIComponent(returnTo)}`);
  }

  const cookiesBlocked = () =>
    new QlikFlowError(
      "third-party-cookies-blocked",
      "Qlik accepted the login, but this browser does not send Qlik's session cookie back: third-party cookies are blocked.",
      {
        fix: `Use the web app's proxy mode (QLIK_WEB_MODE=proxy), which keeps Qlik's cookies on the server, or allow third-party cookies for ${baseUrl}.`,
      },
    );

  // `user` settles later than the CSRF token (users/me answers with a redirect), so the
  // engine socket can open meanwhile; callers wait for `user` before showing any data.
  function sessionWith(csrf, userRequest, reused, check) {
    const user = userRequest.then(check);
    user.catch(() => {}); // the caller awaits it; avoid an unhandled rejection meanwhile
    return { csrfToken: csrf.token, user, reused };
  }

  // Mint, exchange, then prove the session works: 204 from csrf-token right after a 200
  // login, or the browser did not keep Qlik's cookie.
  let pendingToken = null; // a token asked for by establish() and not used yet

  // Proxy mode: the web app is the one that logs in (and it has already tried).
  const serverLogin = !tokenUrl;
  const serverLoginFailed = () =>
    new QlikFlowError("login-refused", "The web app could not log you in to Qlik.", {
      fix: "Reload the page; if it persists, the web app's log says why.",
    });

  async function login() {
    if (serverLogin) {
      throw serverLoginFailed();
    }
    const tokenRequest = pendingToken ?? fetchToken();
    pendingToken = null;
    await loginWithToken(await tokenRequest);
    const userRequest = currentUser();
    userRequest.catch(() => {});
    const csrf = await csrfProbe();
    if (!csrf.ok) {
      throw cookiesBlocked();
    }
    return sessionWith(csrf, userRequest, false, (user) => {
      if (!user) throw cookiesBlocked();
      return user;
    });
  }

  async function establish() {
    const userRequest = currentUser();
    userRequest.catch(() => {});
    if (loginMode === "interactive") {
      const csrf = await csrfProbe();
      if (!csrf.ok) {
        throw new QlikFlowError("interactive-login-needed", "Sign in to Qlik to see the analytics.", {
          link: interactiveLoginUrl(),
        });
      }
      return sessionWith(csrf, userRequest, true, (user) => user);
    }
    // A session we probably made earlier: reuse it without minting. Otherwise ask for a
    // token at the same time as the check, so a first visit costs no extra round trip.
    pendingToken = sessionLikely || serverLogin ? null : fetchToken();
    pendingToken?.catch(() => {}); // awaited in login(); avoid an unhandled rejection
    const csrf = await csrfProbe();
    if (!csrf.ok) {
      return login();
    }
    return sessionWith(csrf, userRequest, !csrf.loggedIn, (user) => {
      if (!user || (subject && user.subject !== subject)) {
        throw new QlikFlowError("other-qlik-user", "The browser's Qlik session belongs to someone else.");
      }
      return user;
    });
  }

  // Without a token (proxy mode) the web app adds Qlik's on its way to the tenant.
  function engineUrl(appId, csrfToken) {
    const socketBase = baseUrl.replace(/^http/, "ws");
    const csrf = csrfToken ? `&qlik-csrf-token=${encodeURIComponent(csrfToken)}` : "";
    return `${socketBase}/app/${encodeURIComponent(appId)}?qlik-web-integration-id=${wiid}${csrf}`;
  }

  // No CSRF token in the frame's URL: URLs end up in logs and Referer headers.
  function singleUrl({ appId, objectId, sheetId }) {
    const target = objectId ? `obj=${encodeURIComponent(objectId)}` : `sheet=${encodeURIComponent(sheetId)}`;
    return withWiid(`/single/?appid=${encodeURIComponent(appId)}&${target}&opt=ctxmenu,currsel`);
  }

  // Ends the browser's Qlik session at the tenant (direct mode's sign-out). Qlik documents
  // no logout API; POST /logout is the one the emulator implements (see the README). Never
  // throws: a tenant that refuses keeps the session until its inactivity timeout.
  async function logout(csrfToken) {
    try {
      await qlikFetch("/logout", { method: "POST", headers: csrfToken ? { "qlik-csrf-token": csrfToken } : {} });
    } catch {
      // nothing more a page can do
    }
  }

  return { establish, login, logout, engineUrl, singleUrl, interactiveLoginUrl };
}
