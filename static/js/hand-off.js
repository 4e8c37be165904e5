// The team page's hand-off: the person chosen in "Hand off the cases of" is not
// offered in "To". Without JavaScript the server refuses the same person twice,
// under "To", and disables them in "To" when it shows the form again.
document.addEventListener("DOMContentLoaded", () => {
  const from = document.querySelector(".handoff-form select[name=from_email]");
  const to = document.querySelector(".handoff-form select[name=to_email]");
  if (!from || !to) return;
  const leaveOutFrom = () => {
    Array.from(to.options).forEach((option) => {
      const same = option.value !== "" && option.value === from.value;
      option.disabled = same;
      option.hidden = same;
      if (same && option.selected) to.value = "";
    });
  };
  from.addEventListener("change", leaveOutFrom);
  leaveOutFrom();
});
