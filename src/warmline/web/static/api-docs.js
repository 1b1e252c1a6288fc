// Starts Swagger UI on the API page (/docs) from files served by this server.
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("api-docs");
    if (!el) { return; }
    window.SwaggerUIBundle({
      url: el.getAttribute("data-openapi-url"),
      domNode: el,
      layout: "BaseLayout",
      deepLinking: true,
      presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset]
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
