// Sends the file dcc.Upload read in the browser to the dashboard's upload route, so
// callbacks never carry files. Answers what the route answered: {upload, filename} or
// {error}. Dash's renderer sends the same _csrf_token cookie as X-CSRFToken.

// The bytes of a base64 data URL. Decoded here rather than fetched: the Content Security
// Policy lets the page connect to its own server only, not to data: URLs.
function bytesOf(dataUrl) {
  const text = atob(dataUrl.slice(dataUrl.indexOf(",") + 1));
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) {
    bytes[i] = text.charCodeAt(i);
  }
  return bytes;
}

window.dash_clientside = Object.assign({}, window.dash_clientside);
window.dash_clientside.basket_segments = Object.assign({}, window.dash_clientside.basket_segments, {
  send_upload: async function (contents, filename, url) {
    if (!contents) {
      return window.dash_clientside.no_update;
    }
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("_csrf_token="));
    const headers = { "X-Filename": encodeURIComponent(filename || "upload") };
    if (cookie) {
      headers["X-CSRFToken"] = decodeURIComponent(cookie.split("=").slice(1).join("="));
    }
    try {
      const response = await fetch(url, {
        method: "POST",
        body: bytesOf(contents),
        headers: headers,
        credentials: "same-origin",
      });
      const answer = await response.json().catch(() => null);
      return answer || { error: `The server refused the file (HTTP ${response.status}).` };
    } catch (error) {
      return { error: "The file did not reach the server; check the connection and try again." };
    }
  },
  use_sample: function (clicks) {
    return clicks ? { sample: clicks } : window.dash_clientside.no_update;
  },
});

// dcc.Upload draws its file input without a name for screen readers; give it the
// dropzone's words whenever the Data page draws one.
new MutationObserver(() => {
  for (const input of document.querySelectorAll(".upload-zone input[type=file]:not([aria-label])")) {
    input.setAttribute("aria-label", "Upload a data file");
  }
}).observe(document.documentElement, { childList: true, subtree: true });
