// The browser's side of Qlik's OAuth impersonation, direct mode: no Qlik cookies at all.
//
// The web app hands the signed-in user's access token to the page (`tokenUrl`, the
// `POST /access-token` route: same origin, CSRF header). The page then calls the tenant as
// Qlik's own @qlik/api does with `oauth2`: REST with `Authorization: Bearer`, credentials
// omitted; the engine websocket, which cannot carry headers in a browser, at
// `/app/{appId}?accessToken=` with a token exchanged for purpose "websocket". The /single/
// iframe cannot carry a token either (Qlik documents none for iframes), so it goes through
// the web app (`frameBaseUrl`), which adds the user's token itself.
//
// Same interface as qlik-session.js (establish, login, logout, engineUrl, singleUrl), same error
// kinds, plus: client-refused, impersonation-refused, too-many-tokens.

import { postForCredential, QlikFlowError } from "./qlik-session.js";

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

// Refusals of the web app's access-token route, {"error": {"code", "message", "fix"}}.
const APP_ERROR_KINDS = {
  "oauth-client-refused": "client-refused",
  "impersonation-refused": "impersonation-refused",
  "too-many-tokens": "too-many-tokens",
  "rate-limited": "token-refused",
  "tenant-unreachable": "tenant-unreachable",
  "not-signed-in": "not-signed-in",
};

async function qlikErrorText(response) {
  try {
    const first = (await response.json()).errors[0];
    return [first.code, first.title, first.detail].filter(Boolean).join(" · ");
  } catch {
    return `HTTP ${response.status}`;
  }
}

export function createQlikBearerSession(options) {
  const { baseUrl, frameBaseUrl, tokenUrl, clientId, subject, csrfHeader, csrfToken, pageOrigin = window.location.origin } = options;
  let current = null; // {accessToken, expiresAt}

  async function fetchAccessToken() {
    current = await postForCredential(tokenUrl, csrfHeader, csrfToken, APP_ERROR_KINDS);
    return current.accessToken;
  }

  // A CORS failure and a dead tenant look alike to fetch(); a no-cors request tells them apart.
  async function unreachableOrRefused(error) {
    try {
      await fetch(`${baseUrl}/api/v1/users/me`, { mode: "no-cors", credentials: "omit" });
    } catch {
      return new QlikFlowError("tenant-unreachable", `The tenant ${baseUrl} cannot be reached.`, {
        fix: `Check the tenant URL (QLIK_TENANT_URL) and that it is running. A tenant with a self-signed certificate (the demo's emulator) must be opened once at ${baseUrl}/ and its certificate accepted.`,
        detail: String(error),
      });
    }
    return new QlikFlowError("origin-refused", `The tenant refused this page's origin ${pageOrigin}.`, {
      fix: `Add ${pageOrigin} to the allowed origins of the OAuth client ${clientId} (qlik-jwt setup with QLIK_APP_ORIGINS does it).`,
      detail: "The browser blocked the answer: it carried no CORS permission for this origin.",
    });
  }

  async function bearerFetch(path, init = {}) {
    const headers = { Authorization: `Bearer ${current.accessToken}`, ...(init.headers || {}) };
    try {
      return await fetch(`${baseUrl}${path}`, { mode: "cors", credentials: "omit", ...init, headers });
    } catch (error) {
      throw await unreachableOrRefused(error);
    }
  }

  async function currentUser() {
    const response = await bearerFetch("/api/v1/users/me");
    if (!response.ok) {
      throw new QlikFlowError("login-refused", "The tenant refused the user's access token.", {
        detail: await qlikErrorText(response),
        fix: "Reload the page; `qlik-jwt doctor` checks the OAuth client.",
      });
    }
    const user = await response.json();
    if (subject && user.subject !== subject) {
      throw new QlikFlowError("login-refused", `The access token belongs to ${user.subject}, not ${subject}.`);
    }
    return user;
  }

  async function establish() {
    await fetchAccessToken();
    const user = currentUser();
    user.catch(() => {}); // the caller awaits it
    await user.catch(() => {}); // so that a refused token is reported before the engine opens
    return { user, reused: false };
  }

  // What @qlik/api does in a browser before opening the engine websocket.
  async function exchange(purpose) {
    let response;
    try {
      response = await fetch(`${baseUrl}/oauth/token`, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          grant_type: TOKEN_EXCHANGE,
          subject_token: current.accessToken,
          subject_token_type: ACCESS_TOKEN_TYPE,
          purpose,
          client_id: clientId,
          redirect_uri: pageOrigin,
        }),
      });
    } catch (error) {
      throw await unreachableOrRefused(error);
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok || body.errors || !body.access_token) {
      throw new QlikFlowError("login-refused", `The tenant refused to exchange the access token for purpose ${purpose}.`, {
        detail: body.errors ? body.errors.map((e) => [e.code, e.detail].filter(Boolean).join(" · ")).join("; ") : `HTTP ${response.status}`,
      });
    }
    return body.access_token;
  }

  async function engineUrl(appId) {
    const socketBase = baseUrl.replace(/^http/, "ws");
    const token = await exchange("websocket");
    return `${socketBase}/app/${encodeURIComponent(appId)}?accessToken=${encodeURIComponent(token)}`;
  }

  function singleUrl({ appId, objectId, sheetId }) {
    if (frameBaseUrl === null || frameBaseUrl === undefined) return null;
    const target = objectId ? `obj=${encodeURIComponent(objectId)}` : `sheet=${encodeURIComponent(sheetId)}`;
    return `${frameBaseUrl}/single/?appid=${encodeURIComponent(appId)}&${target}&opt=ctxmenu,currsel`;
  }

  async function login() {
    return establish();
  }

  // Sign-out: the web app revokes the user's token itself; the page holds no Qlik session.
  async function logout() {}

  return { establish, login, logout, engineUrl, singleUrl, interactiveLoginUrl: () => null };
}
