using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Sandrun.AspNetCore;
using Sandrun.AspNetCore.Contracts;
using Sandrun.AspNetCore.Ui;
using Sandrun.Receipts;

namespace Sandrun.Server;

/// <summary>The server's services and pipeline: Sandrun at the root, MCP, the web UI at /ui/, the OpenAPI document, JSON 404s.</summary>
internal static class ServerApp
{
    public static WebApplication Build(WebApplicationBuilder builder, Ed25519Signer? signer)
    {
        EngineSetup.AddEngine(builder.Services, builder.Configuration, signer);
        builder.Services.AddSandrunApi(builder.Configuration);
        builder.Services.AddSandrunMcp(builder.Configuration);
        // The OpenAPI generator reads every endpoint's types through reflection-based JSON metadata (the /submit form,
        // Stream downloads), which a NativeAOT build does not have: there the document is left out (a JSON 404) rather
        // than answered with a 500.
        var openApi = RuntimeFeature.IsDynamicCodeSupported;
        if (openApi)
        {
            builder.Services.AddOpenApi();
        }

        var app = builder.Build();

        // 30 s pings keep a silent job's log stream alive through proxies that close idle connections (a pool, SPEC.md §7).
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        // UseCors() with its policy provider bound here: UseMiddleware binds a service parameter of Invoke by compiling an
        // expression tree at startup, which (with minimal-API lambdas, now generated at compile time) loaded
        // System.Linq.Expressions into an idle server (~2.5 MiB RSS).
        app.Use(next =>
        {
            var cors = new CorsMiddleware(next, app.Services.GetRequiredService<ICorsService>(), app.Services.GetRequiredService<ILoggerFactory>());
            var policies = app.Services.GetRequiredService<ICorsPolicyProvider>();
            return context => cors.Invoke(context, policies);
        });

        // A browser opening the server gets the UI; API clients asking for / keep getting the JSON service information.
        app.Use((context, next) =>
            HttpMethods.IsGet(context.Request.Method) && context.Request.Path == "/"
                && context.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase))
                ? Results.Redirect("/ui/").ExecuteAsync(context)
                : next(context));
        var sandrun = app.MapSandrun();
        sandrun.MapSandrunMcp();
        sandrun.MapSandrunUi();
        if (openApi)
        {
            app.MapOpenApi();
        }
        else
        {
            app.Logger.LogInformation("NativeAOT build: the OpenAPI document (/openapi/v1.json) is not served");
        }

        // This app is all Sandrun, so its unknown paths get SPEC.md's JSON 404 (MapSandrun("") leaves an app's 404s alone).
        // A RequestDelegate, which the request delegate generator leaves alone: its MapFallback drops the fallback's last
        // place in route order, and this catch-all then took GET / from Sandrun's service information.
        app.MapFallback("{**path}", context => TypedResults.Json(
            new ErrorResponse("not found", $"no endpoint {context.Request.Method} {context.Request.Path}"),
            SandrunJsonContext.Default.ErrorResponse,
            statusCode: StatusCodes.Status404NotFound).ExecuteAsync(context));
        return app;
    }
}
