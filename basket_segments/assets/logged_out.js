// A tab left open after the user logged out (in another tab, or the login ended): the
// dashboard's server answers its requests 401 with {error, login}. Instead of a page that
// stops answering, say so and go to the login page, asking it to come back to this page.
// Dash's renderer calls window.fetch for every callback, so wrapping it sees them all.
// Logging out, by the navbar or found by a 401, also forgets what this tab kept open (the
// open dataset, the selected segment: Dash's session-storage stores), so whoever logs in
// next in this tab starts from their own last dataset, kept on the server, not this one.
(function () {
  const send = window.fetch.bind(window);
  let leaving = false;

  // The dashboard's session stores, and only theirs (a host's page may keep its own).
  const TAB_STATE = "state-";

  function forgetThisTab() {
    const storage = window.sessionStorage;
    for (const key of Object.keys(storage)) {
      if (key.startsWith(TAB_STATE)) storage.removeItem(key);
    }
  }

  document.addEventListener("submit", (event) => {
    if (event.target.querySelector("#frame-logout-link")) forgetThisTab();
  });
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("a#frame-logout-link")) forgetThisTab();
  });

  function loginUrl(login) {
    const url = new URL(login, window.location.origin);
    url.searchParams.set("next", window.location.pathname + window.location.search);
    return url.href;
  }

  function sayLoggedOut(target) {
    const note = document.createElement("div");
    note.className = "alert alert-warning bs-logged-out";
    note.setAttribute("role", "alert");
    note.append("You were logged out. Taking you to the login page\u2026 ");
    const link = document.createElement("a");
    link.href = target;
    link.className = "alert-link";
    link.textContent = "Log in again";
    note.append(link);
    document.body.prepend(note);
    window.setTimeout(() => window.location.assign(target), 1500);
  }

  window.fetch = async function (...args) {
    const response = await send(...args);
    if (response.status === 401 && !leaving) {
      const answer = await response.clone().json().catch(() => null);
      if (answer && typeof answer.login === "string") {
        leaving = true;
        forgetThisTab();
        sayLoggedOut(loginUrl(answer.login));
      }
    }
    return response;
  };
})();
