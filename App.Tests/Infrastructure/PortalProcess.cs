using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AdminPortal.Tests.Infrastructure;

/// <summary>The built portal (AdminPortal.dll) as its own process, the way an operator runs it.</summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private PortalProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) { lock (output) { output.AppendLine(line.Data); } } };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) { lock (output) { output.AppendLine(line.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output { get { lock (output) { return output.ToString(); } } }

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>A crash: SIGKILL to the portal and anything it started, with no chance to clean up.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>A graceful stop, as systemd or Kubernetes asks for one: SIGTERM, then the host shuts down in order.</summary>
    public void Terminate()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!;
        kill.WaitForExit();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts <c>dotnet AdminPortal.dll args…</c> (or <c>dotnet run --no-build -- args…</c>) in the repository root.</summary>
    public static PortalProcess Start(IDictionary<string, string?> environment, bool dotnetRun, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepositoryRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (dotnetRun)
        {
            foreach (string part in new[] { "run", "--no-build", "--" })
            {
                start.ArgumentList.Add(part);
            }
        }
        else
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AdminPortal.dll"));
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Nothing from the test runner's own environment decides where the portal listens or what it connects to.
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return new PortalProcess(Process.Start(start)!);
    }

    /// <summary>Runs to the end and returns the exit code and everything it printed (stdout and stderr).</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IDictionary<string, string?> environment, params string[] arguments)
    {
        await using var portal = Start(environment, dotnetRun: false, arguments);
        // Generous: a loaded 2-core machine has taken over 2 minutes for a cold start, migrations and a seed.
        try
        {
            await portal.WaitForExitAsync(TimeSpan.FromMinutes(5));
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"`{string.Join(' ', arguments)}` did not exit within 5 minutes. It printed:\n{portal.Output}");
        }

        return (portal.process.ExitCode, portal.Output);
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        process.WaitForExit(); // flushes the redirected output
    }

    /// <summary>Polls until <paramref name="url"/> answers (any status), or throws with what the portal printed.</summary>
    public async Task<HttpResponseMessage> WaitForAsync(HttpClient client, string url, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The portal exited ({process.ExitCode}) before {url} answered:\n{Output}");
            }

            try
            {
                return await client.GetAsync(url);
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                throw new TimeoutException($"{url} did not answer within {timeout}:\n{Output}", exception);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}
