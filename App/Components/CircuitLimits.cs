using AdminPortal.App.Features.Posts;

namespace AdminPortal.App.Components;

/// <summary>How big one message from the browser to a circuit may be, and the shared action-failure pattern.</summary>
public static class CircuitLimits
{
    /// <summary>
    /// The largest field is a post's content (<see cref="Post.MaxContentLength"/> UTF-16 code units; the browser's
    /// maxlength counts the same units). Its input event travels as JSON inside the hub message: a character is at most
    /// 3 bytes of UTF-8 (a surrogate pair: 4 bytes for 2 units), and a control character is escaped by JSON as \u00XX,
    /// 6 bytes. So 6 bytes per unit, plus room for the envelope. SignalR's default (32 KB) closed the connection on
    /// a long paste, and the text never reached the server while the editor still said "All changes saved".
    /// </summary>
    public const long MaxReceiveMessageBytes = Post.MaxContentLength * 6L + 64 * 1024;

    /// <summary>The circuit's hub options, and the one pattern for action failures (<see cref="Shared.UserActions"/>).</summary>
    public static IServerSideBlazorBuilder WithInputLimits(this IServerSideBlazorBuilder builder)
    {
        builder.Services.AddScoped<Shared.UserActions>();
        return builder.AddHubOptions(options => options.MaximumReceiveMessageSize = MaxReceiveMessageBytes);
    }
}
