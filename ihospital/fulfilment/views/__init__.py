"""Fulfilment's pages: the patient's address book and prescriptions (choose, pay, follow), the pharmacy
console, the doctor's void, the prescription signature check, and the courier's callback endpoint."""
