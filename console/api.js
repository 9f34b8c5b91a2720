// Talking to the admin API and the sign-in service. Same origin in AWS (CloudFront sends
// /admin/* to the HTTP API) and locally, so there is no CORS and no token in a URL.
const TOKEN_KEY = "pitstop.token";
let config = null;

export async function loadConfig() {
  if (!config) config = await (await fetch("/config.json")).json();
  return config;
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function claims() {
  const t = token();
  if (!t) return null;
  try {
    const payload = JSON.parse(atob(t.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    if (payload.exp * 1000 < Date.now()) return null;
    return payload;
  } catch {
    return null;
  }
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// Cognito's InitiateAuth (USER_PASSWORD_AUTH), spoken directly: no SDK to load.
export async function signIn(username, password) {
  const { auth } = await loadConfig();
  const response = await fetch(auth.endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth",
    },
    body: JSON.stringify({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: auth.clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  });
  const body = await response.json();
  if (!response.ok || !body.AuthenticationResult) {
    throw new Error(body.message || "Sign-in failed.");
  }
  sessionStorage.setItem(TOKEN_KEY, body.AuthenticationResult.AccessToken);
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `request failed (${status})`);
    this.status = status;
    this.body = body;
  }
}

export async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${token()}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = await response.json().catch(() => ({}));
  if (response.status === 401) {
    signOut();
    window.dispatchEvent(new Event("pitstop:signed-out"));
  }
  if (!response.ok) throw new ApiError(response.status, payload);
  return payload;
}
