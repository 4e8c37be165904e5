// Progressive enhancement of the contact form: similar open cases appear while the
// subject is typed, and "Check for similar cases" looks them up beside the form
// instead of sending it, so attached files stay attached. Without this file, the
// button reloads the page at the suggestions (and says which files to attach again).
// After the button, the focus moves to the answer (the list, or "No similar open
// case found"); while the subject is typed, it stays in the subject.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("similar-cases");
  const subject = document.querySelector(".new-case-form input[name=subject]");
  const check = document.querySelector(".new-case-form button[name=check]");
  if (!box || !subject) return;
  let timer = null;
  let controller = null;
  let last = subject.value.trim();
  const look = async ({ force = false } = {}) => {
    const text = subject.value.trim();
    if (text === last && !force) return;
    last = text;
    if (controller) controller.abort();
    if (text.length < 3 && !force) { box.replaceChildren(); return; }
    controller = new AbortController();
    const url = `${box.dataset.similarUrl}?subject=${encodeURIComponent(text)}`;
    try {
      const response = await fetch(url, {
        signal: controller.signal,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      if (!response.ok || response.redirected) return;
      // The fragment is built and escaped by the server's templates.
      const fragment = document.createRange().createContextualFragment(await response.text());
      box.replaceChildren(fragment);
      if (force) {
        // Asked for with the button: the answer may be below the fold (a desktop
        // screen under the form). Bring it into view and move the focus to it.
        const answer = box.querySelector("[tabindex='-1']");
        if (answer) {
          answer.focus({ preventScroll: true });
          answer.scrollIntoView({ block: "nearest" });
        }
      }
    } catch (error) {
      if (error.name !== "AbortError") box.replaceChildren();
    }
  };
  subject.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(look, 350);
  });
  if (check) {
    check.addEventListener("click", (event) => {
      event.preventDefault();
      clearTimeout(timer);
      look({ force: true });
    });
  }
});
