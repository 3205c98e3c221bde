document.getElementById("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("error");
  error.textContent = "";
  const response = await fetch("/console/login", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({
      username: document.getElementById("username").value,
      password: document.getElementById("password").value,
    }),
  });
  if (response.ok) { window.location.assign("/console"); return; }
  const body = await response.json().catch(() => ({}));
  error.textContent = typeof body.detail === "string" ? body.detail : "Sign-in failed.";
});
