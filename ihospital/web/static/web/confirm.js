// A form with data-confirm="question" asks before it is sent (instead of an inline onsubmit handler,
// which the Content-Security-Policy forbids).
document.addEventListener("submit", (event) => {
  const form = event.target.closest?.("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
