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

// Cognito's user-pool API, spoken directly (no SDK to load): one JSON call by its target.
async function cognito(operation, request) {
  const { auth } = await loadConfig();
  const response = await fetch(auth.endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `AWSCognitoIdentityProviderService.${operation}`,
    },
    body: JSON.stringify({ ClientId: auth.clientId, ...request }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || "Sign-in failed.");
  return body;
}

// Signed in: the token is kept and null returned. An invited member's first sign-in returns
// Cognito's NEW_PASSWORD_REQUIRED challenge instead: { username, session } for `setNewPassword`.
function signedIn(body, username) {
  if (body.AuthenticationResult) {
    sessionStorage.setItem(TOKEN_KEY, body.AuthenticationResult.AccessToken);
    return null;
  }
  if (body.ChallengeName === "NEW_PASSWORD_REQUIRED") return { username, session: body.Session };
  throw new Error(`Sign-in needs a step this console does not offer (${body.ChallengeName}).`);
}

// InitiateAuth with USER_PASSWORD_AUTH.
export async function signIn(username, password) {
  const body = await cognito("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  return signedIn(body, username);
}

// RespondToAuthChallenge: the new password that replaces an invitation's temporary one.
export async function setNewPassword(challenge, newPassword) {
  const body = await cognito("RespondToAuthChallenge", {
    ChallengeName: "NEW_PASSWORD_REQUIRED",
    Session: challenge.session,
    ChallengeResponses: { USERNAME: challenge.username, NEW_PASSWORD: newPassword },
  });
  return signedIn(body, challenge.username);
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
