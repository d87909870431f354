// The week-of-sessions page: each fee box shows, in grey, the chosen doctor's fee for the cell's category,
// which is what an empty box charges. The server applies the same rule without this script.
const form = document.querySelector("[data-week-form]");
const fees = JSON.parse(document.getElementById("doctor-fees").textContent);
const doctor = form.querySelector("[name=doctor]");

function showFees() {
  const own = fees[doctor.value] || {};
  for (const cell of form.querySelectorAll("[data-cell]")) {
    const category = cell.querySelector("[data-category]").value;
    cell.querySelector("[data-fee]").placeholder = category && own[category] ? own[category] : "¥";
  }
}

doctor.addEventListener("change", showFees);
form.addEventListener("change", (event) => {
  if (event.target.matches("[data-category]")) showFees();
});
showFees();
