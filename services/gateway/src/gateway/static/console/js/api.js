// The gateway's API with the operator's key. Errors carry the service's reason: a string, or
// FastAPI's list of {loc, msg} which forms show next to the fields they name.

const KEY = "batchflow.apiKey";
export const key = { get: () => localStorage.getItem(KEY) || "", set: (k) => localStorage.setItem(KEY, k),
  clear: () => localStorage.removeItem(KEY) };

export class ApiError extends Error {
  constructor(status, detail) {
    super(ApiError.words(detail) || `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
  }
  static words(detail) {
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => (typeof d === "string" ? d : `${(d.loc || []).filter((p) => p !== "body").join(" › ")}: ${d.msg}`)).join("; ");
    return detail ? JSON.stringify(detail) : "";
  }
  // {"customer.email": "value is not a valid email", ...} for the fields a 422 names.
  fieldErrors() {
    const out = {};
    if (Array.isArray(this.detail)) {
      for (const d of this.detail) {
        if (typeof d !== "object" || !d.loc) continue;
        const path = d.loc.filter((p) => p !== "body" && p !== "query").join(".");
        out[path] = d.msg;
      }
    }
    return out;
  }
}

// One request with the key; a failure becomes an ApiError carrying the service's reason.
async function send(method, path, body) {
  const opts = { method, headers: { "X-API-Key": key.get() } };
  if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  let resp;
  try {
    resp = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, "the gateway cannot be reached");
  }
  if (!resp.ok) {
    const json = await resp.json().catch(() => null);
    throw new ApiError(resp.status, json && json.detail !== undefined ? json.detail : resp.statusText);
  }
  return resp;
}

export async function api(method, path, body) {
  const resp = await send(method, path, body);
  return (resp.headers.get("content-type") || "").includes("json") ? resp.json().catch(() => null) : null;
}

export const get = (path, params) => {
  const q = params ? new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "")) : null;
  return api("GET", q && [...q].length ? `${path}?${q}` : path);
};
export const post = (path, body) => api("POST", path, body);
export const put = (path, body) => api("PUT", path, body);
export const patch = (path, body) => api("PATCH", path, body);
export const del = (path) => api("DELETE", path);

// A file behind the key (PDF labels): fetched with the header, saved through a blob link,
// since a plain <a href> would carry no key.
export async function download(path, filename) {
  const url = URL.createObjectURL(await (await send("GET", path)).blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
