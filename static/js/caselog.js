// Progressive enhancement only: every page works without this file.
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
});
