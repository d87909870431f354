// Starts Swagger UI (vendor/swagger-ui-*, loaded before this module) on the API docs page with the settings
// config/api.py put in #swagger-ui's data-settings. No inline script, nothing fetched from another host.
const root = document.getElementById("swagger-ui");
const settings = JSON.parse(root.dataset.settings);
window.SwaggerUIBundle({
  ...settings,
  domNode: root,
  presets: [window.SwaggerUIBundle.presets.apis],
});
