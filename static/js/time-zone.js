// The profile page: offer the browser's time zone when the user has not chosen one.
// Without JavaScript the list simply shows the saved zone (or the site's).
document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector("select[data-browser-zone]");
  if (!select) return;
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  const known = Array.from(select.options).some((option) => option.value === zone);
  if (!zone || !known) return;
  const hint = document.getElementById("browser-zone-hint");
  if (hint) {
    hint.querySelector("[data-zone]").textContent = zone.replaceAll("_", " ");
    hint.hidden = false;
    const use = hint.querySelector("button");
    if (use) use.addEventListener("click", () => { select.value = zone; select.focus(); });
  }
  if (select.dataset.browserZone === "offer") select.value = zone;
});
