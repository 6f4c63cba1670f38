namespace Sandrun.AspNetCore.Mcp;

/// <summary>The MCP endpoint's settings: the <c>Sandrun:Mcp</c> configuration section.</summary>
public sealed class SandrunMcpOptions
{
    /// <summary>Whether <c>MapSandrun()</c> maps the Streamable HTTP endpoint (when <c>AddSandrunMcp()</c> was called). Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The endpoint path below <c>MapSandrun</c>'s prefix. Default <c>/mcp</c>.</summary>
    public string Path { get; set; } = "/mcp";

    /// <summary>
    /// Host names (optionally <c>name:port</c>) the endpoint answers besides <c>localhost</c>, <c>127.0.0.1</c> and
    /// <c>[::1]</c>, e.g. the public name of a deployed server. Any other <c>Host</c> header is refused (DNS rebinding
    /// protection). A single <c>*</c> turns the Host check off (not recommended; logged as a warning).
    /// </summary>
    public IList<string> AllowedHosts { get; set; } = [];

    /// <summary>
    /// Browser origins (e.g. <c>https://app.example.com</c>) allowed to call the endpoint besides origins whose host is
    /// itself allowed. Requests with any other <c>Origin</c> header are refused.
    /// </summary>
    public IList<string> AllowedOrigins { get; set; } = [];

    /// <summary>How long an <c>execute_*</c> call with <c>wait=true</c> waits for the job before it returns the job id
    /// and the status so far (the job keeps running; poll with <c>check_job_status</c>). Default 300 s.</summary>
    public int MaxWaitSeconds { get; set; } = 300;

    /// <summary>Bytes of stdout and of stderr returned inline by a tool (head and tail kept, the middle elided). Default 32 KiB.</summary>
    public int MaxInlineOutputBytes { get; set; } = 32 * 1024;

    /// <summary>The largest output file <c>read_output</c> returns. Larger files are refused with a pointer to the HTTP download. Default 1 MiB.</summary>
    public int MaxReadOutputBytes { get; set; } = 1024 * 1024;
}
