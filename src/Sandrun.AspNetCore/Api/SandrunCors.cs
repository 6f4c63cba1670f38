namespace Sandrun.AspNetCore.Api;

/// <summary>The named CORS policy of the REST endpoints: any origin (SPEC.md §2), applied to nothing else in the app.</summary>
internal static class SandrunCors
{
    public const string Api = "Sandrun.Api";
}
