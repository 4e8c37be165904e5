// The agent's case page (admin): a saved reply's "Use" inserts its text (already in
// the case owner's language, placeholders filled, on the option's data-text) at the
// cursor of the reply, keeping what was typed, without a reload. Without JavaScript
// "Use" submits the form, and the server shows it again with the text added.
// "Reply" (#id_body) puts the cursor in the reply.
document.addEventListener("DOMContentLoaded", () => {
  const body = document.querySelector(".reply-form textarea[name=body]");
  if (!body) return;
  const focusReply = () => {
    if (window.location.hash === "#id_body" || window.location.hash === "#reply") body.focus();
  };
  window.addEventListener("hashchange", focusReply);
  focusReply();
  const picker = document.querySelector(".reply-form select[name=saved]");
  const use = document.querySelector(".reply-form .saved-reply-use");
  if (!picker || !use) return;
  use.addEventListener("click", (event) => {
    event.preventDefault();
    const option = picker.selectedOptions[0];
    const text = option ? option.dataset.text : "";
    if (!text) {
      picker.focus();
      return;
    }
    const start = body.selectionStart;
    const end = body.selectionEnd;
    body.setRangeText(text, start, end, "end");
    body.dispatchEvent(new Event("input", { bubbles: true }));
    body.focus();
  });
});
