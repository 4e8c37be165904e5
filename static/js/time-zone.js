// The profile page: offer the browser's time zone beside the list, never impose it.
// The list keeps the saved zone (or the site's); "Use this zone" picks the
// browser's, and saving is still the user's move. Without JavaScript the list
// simply shows the saved zone.
document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector("select[data-browser-zone]");
  const hint = document.getElementById("browser-zone-hint");
  if (!select || !hint) return;
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  const known = Array.from(select.options).some((option) => option.value === zone);
  if (!zone || !known || select.value === zone) return;
  hint.querySelector("[data-zone]").textContent = zone.replaceAll("_", " ");
  hint.hidden = false;
  const use = hint.querySelector("button");
  if (use) {
    use.addEventListener("click", () => {
      select.value = zone;
      hint.hidden = true;
      select.focus();
    });
  }
});
