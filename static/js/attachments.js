// Progressive enhancement of a form's file input (the contact form, the reply
// form): the chosen files are listed by name and size, each with a "Remove"
// button; choosing more adds to the list; files dropped on the field's zone are
// added too; no more than the form's limit (the server checks it again). The
// input keeps the list (a DataTransfer), so the form sends exactly what is shown.
// Without this file, the plain file input works as it is.
// The words come from the server, translated, in the input's data- attributes.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[type=file][data-attachments]").forEach((input) => {
    if (typeof DataTransfer === "undefined") return;
    const zone = input.closest(".mb-3") || input.parentElement;
    // Files carried from the contact form and still ticked count towards the limit.
    const limit = () => {
      const held = input.form ? input.form.querySelectorAll("input[name=held]:checked").length : 0;
      return Math.max(0, Number(input.dataset.max || 3) - held);
    };
    const list = document.createElement("ul");
    list.className = "list-unstyled mb-0 mt-2 chosen-files";
    const note = document.createElement("p");
    note.className = "small text-danger mb-0 mt-1 chosen-files-note";
    note.setAttribute("role", "status");
    const hint = document.createElement("p");
    hint.className = "small text-body-secondary mb-0 mt-1 drop-hint";
    hint.textContent = input.dataset.dropHint || "";
    input.after(hint, list, note);
    zone.classList.add("drop-zone");
    let chosen = [];
    const size = (bytes) => {
      const scale = [["byte", 1], ["kilobyte", 1024], ["megabyte", 1024 * 1024]];
      const [unit, factor] = scale.filter(([, f]) => bytes >= f || f === 1).pop();
      return new Intl.NumberFormat(document.documentElement.lang || undefined, {
        style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 1,
      }).format(bytes / factor);
    };
    const sync = () => {
      const transfer = new DataTransfer();
      chosen.forEach((file) => transfer.items.add(file));
      input.files = transfer.files;
      list.replaceChildren(...chosen.map((file, index) => {
        const item = document.createElement("li");
        item.className = "chosen-file d-flex flex-wrap align-items-baseline gap-2";
        const name = document.createElement("span");
        name.className = "text-break chosen-file-name";
        name.textContent = file.name;
        const weight = document.createElement("span");
        weight.className = "small text-body-secondary";
        weight.textContent = `(${size(file.size)})`;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-link btn-sm p-0 align-baseline remove-file";
        remove.textContent = input.dataset.remove || "Remove";
        remove.setAttribute("aria-label", `${remove.textContent} ${file.name}`);
        remove.addEventListener("click", () => {
          chosen.splice(index, 1);
          note.textContent = "";
          sync();
          input.focus();
        });
        item.append(name, weight, remove);
        return item;
      }));
    };
    const add = (files) => {
      const refused = [];
      Array.from(files).forEach((file) => {
        const same = chosen.some((c) => c.name === file.name && c.size === file.size);
        if (same) return;
        if (chosen.length >= limit()) refused.push(file.name);
        else chosen.push(file);
      });
      note.textContent = refused.length
        ? (input.dataset.tooMany || "").replace("%(names)s", refused.join(", "))
        : "";
      sync();
    };
    input.addEventListener("change", () => {
      // The browser replaced the input's files with the new choice: add them to the list.
      add(Array.from(input.files));
    });
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("drop-zone-active");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("drop-zone-active"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("drop-zone-active");
      if (event.dataTransfer && event.dataTransfer.files.length) add(event.dataTransfer.files);
    });
    add(input.files);
  });
});
