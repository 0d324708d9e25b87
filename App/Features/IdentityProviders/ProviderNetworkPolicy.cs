using System.Net;
using System.Net.Sockets;

namespace AdminPortal.App.Features.IdentityProviders;

/// <summary>
/// Where the portal may connect when it follows an identity provider's configuration: the connection test and the
/// sign-in handler's own requests (discovery, keys, token redemption). A customer admin types the authority, and the
/// discovery document names further addresses, so without this the portal would probe its own network for them.
/// </summary>
/// <remarks>
/// Checked on the resolved addresses, as the connection is made, so a host name that resolves to an inner address is
/// refused too. Loopback is allowed only in Development; private, link-local and shared address ranges only with
/// <c>IdentityProviders:AllowPrivateNetworkAddresses</c> (for a provider inside your own network). Redirects are not
/// followed: a redirect could lead anywhere.
/// </remarks>
public sealed class ProviderNetworkPolicy(IHostEnvironment environment, IConfiguration configuration)
{
    public bool AllowLoopback { get; } = environment.IsDevelopment();

    public bool AllowPrivateNetworks { get; } = configuration.GetValue("IdentityProviders:AllowPrivateNetworkAddresses", false);

    public SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectCallback = ConnectAsync,
    };

    public bool IsAllowed(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return AllowLoopback;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            byte[] b = address.GetAddressBytes();
            bool unusable = b[0] == 0 || b[0] >= 224; // "this network", multicast, reserved, broadcast
            bool inner = b[0] == 10
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) // shared address space (carrier-grade NAT)
                || (b[0] == 169 && b[1] == 254) // link-local, including cloud metadata endpoints
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168);
            return !unusable && (!inner || AllowPrivateNetworks);
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            bool unusable = address.Equals(IPAddress.IPv6Any) || address.IsIPv6Multicast;
            bool inner = address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal;
            return !unusable && (!inner || AllowPrivateNetworks);
        }

        return false;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        string host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = addresses.Where(IsAllowed).ToArray();
        if (allowed.Length == 0)
        {
            // The message reaches customer admins (connection test, sync status): it never says what an inner host
            // name resolves to, or the policy would answer DNS questions about the portal's own network.
            throw new NetworkPolicyRefusedException(
                $"{host} is refused by the portal's outbound network policy: loopback, private or link-local addresses are closed to "
                + "identity providers here. For a provider inside your own network, set IdentityProviders:AllowPrivateNetworkAddresses.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>The connection was refused before it was made: the address is closed by <see cref="ProviderNetworkPolicy"/>.</summary>
public sealed class NetworkPolicyRefusedException(string message) : IOException(message);
