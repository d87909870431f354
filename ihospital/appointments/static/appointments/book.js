// The booking form: list the chosen files by name (a phone's file input only says "2 files").
const input = document.getElementById("id_files");
const list = document.getElementById("files-chosen");
input?.addEventListener("change", (event) => {
  list.replaceChildren();
  for (const file of event.target.files) {
    const item = document.createElement("li");
    item.textContent = `📎 ${file.name} (${Math.max(1, Math.round(file.size / 1024))} KB)`;
    list.appendChild(item);
  }
});
