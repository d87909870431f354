// The SMS sign-in page: the "send a new code" button waits out the resend cool-down, counting down live.
// The server refuses an early resend anyway (account.sms_resend_too_soon); this only shows the wait.
const button = document.querySelector("[data-resend-in]");

if (button) {
  const { waitLabel, readyLabel } = button.dataset;
  const deadline = Date.now() + Number(button.dataset.resendIn) * 1000;
  const show = () => {
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    button.disabled = left > 0;
    button.textContent = left > 0 ? waitLabel.replace("%(seconds)s", String(left)) : readyLabel;
    button.dataset.resendLeft = String(left);
    return left;
  };
  if (show() > 0) {
    const timer = setInterval(() => {
      if (show() === 0) clearInterval(timer);
    }, 250);
  }
}
