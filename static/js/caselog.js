// Progressive enhancement only: every page works without this file.
// With JavaScript the header's menu collapses behind its button on small screens;
// without it caselog.css (@media (scripting: none)) shows the menu as a plain list.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".thread-toggles").forEach((group) => {
    group.hidden = false;
    group.addEventListener("click", (event) => {
      const button = event.target.closest("[data-thread-toggle]");
      if (!button) return;
      const open = button.dataset.threadToggle === "open";
      document.querySelectorAll("details.message").forEach((item) => { item.open = open; });
    });
  });
  // A select marked data-auto-submit (the log's sort) submits its form on change;
  // its button does the same without JavaScript.
  document.querySelectorAll("select[data-auto-submit]").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
});
