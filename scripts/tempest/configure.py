#!/usr/bin/python3
"""Prepares a running Nimbus for Tempest and writes tempest.conf.

Usage: configure.py URLS_JSON WORKSPACE_DIR
  URLS_JSON: the "Nimbus is up" log line (identity/image/network/compute URLs).
Creates (idempotently, as admin): an external network `public` with a subnet for
floating IPs, a shared network `private` with a subnet that servers boot on
(tempest's dynamic credentials run with create_isolated_networks = false), and a
router `router1` between them, as devstack does.
Reads the image/flavor refs, region and neutron extensions from the cloud itself.
Only the standard library is used (runs under the system python3 tempest uses).
"""
import json
import sys
import urllib.error
import urllib.request

up = json.loads(sys.argv[1])
workspace = sys.argv[2]
KS = up['identity'].rstrip('/')


def call(method, url, token=None, body=None, headers=None, data=None):
    if body is not None:
        data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if 'Content-Type' not in (headers or {}):
        req.add_header('Content-Type', 'application/json')
    req.add_header('Accept', 'application/json')
    if token:
        req.add_header('X-Auth-Token', token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return r.status, dict(r.headers), (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raise SystemExit(f'configure.py: {method} {url} -> {e.code} {e.read()[:500]!r}')


_, hdrs, tok = call('POST', KS + '/v3/auth/tokens', body={'auth': {
    'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'password': 'admin', 'domain': {'name': 'Default'}}}},
    'scope': {'project': {'name': 'admin', 'domain': {'name': 'Default'}}}}})
token = hdrs.get('X-Subject-Token') or hdrs.get('x-subject-token')
catalog = tok['token']['catalog']


def endpoint(kind):
    for svc in catalog:
        if svc['type'] == kind:
            for ep in svc['endpoints']:
                if ep['interface'] == 'public':
                    return ep['url'].rstrip('/'), ep.get('region') or ep.get('region_id')
    raise SystemExit(f'configure.py: no public {kind} endpoint in the catalog')


NOVA, region = endpoint('compute')
NEUTRON, _ = endpoint('network')
GLANCE, _ = endpoint('image')

# --- images: the bootstrapped cirros (ref) and, when there is one, a second (ref_alt)
imgs = [i for i in call('GET', GLANCE + '/v2/images', token)[2]['images'] if i['status'] == 'active']
if not imgs:
    raise SystemExit('configure.py: no active image')
imgs.sort(key=lambda i: (not i['name'].startswith('cirros'), i['name']))
image_ref = imgs[0]['id']
alt = [i for i in imgs[1:]]
if not alt:
    # a second, distinct image: some tests (rebuild, image filters) skip without one
    try:
        new = call('POST', GLANCE + '/v2/images', token, {
            'name': 'cirros-alt', 'disk_format': 'raw', 'container_format': 'bare',
            'visibility': 'public'})[2]
        call('PUT', f"{GLANCE}/v2/images/{new['id']}/file", token, None,
             {'Content-Type': 'application/octet-stream'}, data=b'nimbus tempest alt image\n' * 64)
        alt = [new]
    except SystemExit as e:
        print(f'configure.py: no second image ({e}); image_ref_alt = image_ref', file=sys.stderr)
image_ref_alt = alt[0]['id'] if alt else image_ref

# --- flavors: devstack's tempest uses m1.nano (42) and m1.micro (84)
flv = {f['id']: f for f in call('GET', NOVA + '/flavors', token)[2]['flavors']}
flavor_ref = '42' if '42' in flv else sorted(flv)[0]
flavor_ref_alt = '84' if '84' in flv else flavor_ref


# --- networks
def find_net(name):
    nets = call('GET', f'{NEUTRON}/v2.0/networks?name={name}', token)[2]['networks']
    return nets[0] if nets else None


def ensure_net(name, net_body, cidr, subnet_extra):
    net = find_net(name)
    if not net:
        net = call('POST', NEUTRON + '/v2.0/networks', token, {'network': {'name': name, **net_body}})[2]['network']
    subs = call('GET', f'{NEUTRON}/v2.0/subnets?network_id={net["id"]}', token)[2]['subnets']
    if not subs:
        call('POST', NEUTRON + '/v2.0/subnets', token, {'subnet': {
            'name': name + '-subnet', 'network_id': net['id'], 'ip_version': 4, 'cidr': cidr, **subnet_extra}})
    return net


public = ensure_net('public', {'router:external': True}, '172.24.4.0/24',
                    {'gateway_ip': '172.24.4.1', 'enable_dhcp': False})
private = ensure_net('private', {'shared': True}, '10.1.0.0/20', {})

# --- devstack's router1: private's subnet routed to public, so floating IPs can be
# associated with servers on private (neutron checks that the external network is
# reachable from the port's subnet).
if not call('GET', f'{NEUTRON}/v2.0/routers?name=router1', token)[2]['routers']:
    router = call('POST', NEUTRON + '/v2.0/routers', token, {'router': {
        'name': 'router1', 'external_gateway_info': {'network_id': public['id']}}})[2]['router']
    private_subnet = call('GET', f'{NEUTRON}/v2.0/subnets?network_id={private["id"]}', token)[2]['subnets'][0]
    call('PUT', f'{NEUTRON}/v2.0/routers/{router["id"]}/add_router_interface', token,
         {'subnet_id': private_subnet['id']})

exts = sorted(e['alias'] for e in call('GET', NEUTRON + '/v2.0/extensions', token)[2]['extensions'])

# --- microversions the cloud announces
try:
    ver = call('GET', NOVA.rsplit('/v2.1', 1)[0] + '/v2.1', None)[2]['version']
    min_mv, max_mv = ver.get('min_version') or '2.1', ver.get('version') or '2.93'
except SystemExit:
    min_mv, max_mv = '2.1', '2.93'

conf = f"""# Written by scripts/tempest/configure.py for a Nimbus cloud; do not edit by hand.
[DEFAULT]
log_dir = {workspace}/logs
log_file = tempest.log
debug = true
use_stderr = false

[oslo_concurrency]
lock_path = {workspace}/lock

[auth]
use_dynamic_credentials = true
create_isolated_networks = false
tempest_roles = member
admin_username = admin
admin_password = admin
admin_project_name = admin
admin_domain_name = Default
default_credentials_domain_name = Default

[identity]
uri_v3 = {KS}/v3
auth_version = v3
region = {region}
v3_endpoint_type = public
default_domain_id = default
disable_ssl_certificate_validation = true

[identity-feature-enabled]
api_v2 = false
api_v3 = true
trust = false
security_compliance = false
project_tags = false
application_credentials = false
access_rules = false

[compute]
image_ref = {image_ref}
image_ref_alt = {image_ref_alt}
flavor_ref = {flavor_ref}
flavor_ref_alt = {flavor_ref_alt}
min_microversion = {min_mv}
max_microversion = {max_mv}
region = {region}
endpoint_type = publicURL
build_timeout = 60
build_interval = 1
min_compute_nodes = 2
fixed_network_name = private

[compute-feature-enabled]
# What Nimbus implements today; everything else is off until it is implemented.
resize = true
cold_migration = true
live_migration = true
live_migrate_back_and_forth = false
# Simulated hosts share no instance path: Tempest's live migrations are block migrations.
block_migration_for_live_migration = true
shelve = true
shelve_migrate = false
suspend = true
pause = true
rescue = true
stable_rescue = false
snapshot = true
console_output = true
vnc_console = false
spice_console = false
serial_console = false
rdp_console = false
change_password = false
interface_attach = true
attach_encrypted_volume = false
config_drive = false
metadata_service = false
personality = true
scheduler_enabled_filters = AvailabilityZoneFilter,ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,SameHostFilter,DifferentHostFilter
swap_volume = false
volume_multiattach = false
disk_config = true
hostname_fqdn_sanitization = true
cinder = false
boot_from_volume = false

[network]
public_network_id = {public['id']}
floating_network_name = public
project_network_cidr = 10.100.0.0/16
project_network_mask_bits = 28
shared_physical_network = false
region = {region}
endpoint_type = publicURL
build_timeout = 60
build_interval = 1

[network-feature-enabled]
ipv6 = true
ipv6_subnet_attributes = true
port_security = {'true' if 'port-security' in exts else 'false'}
floating_ips = true
api_extensions = {','.join(exts) if exts else 'None'}

[image]
region = {region}
endpoint_type = publicURL
build_timeout = 60
build_interval = 1
image_path =
http_image =
disk_formats = ami,ari,aki,vhd,vmdk,raw,qcow2,vdi,iso,ploop
container_formats = ami,ari,aki,bare,ovf,ova,docker,compressed

[image-feature-enabled]
api_v2 = true
api_v1 = false
import_image = false
os_glance_reserved = true
manage_locations = false

[validation]
run_validation = false
image_ssh_user = cirros
connect_method = fixed

[service_available]
nova = true
neutron = true
glance = true
cinder = false
swift = false
heat = false
horizon = false
ironic = false
designate = false
octavia = false
manila = false
barbican = false
aodh = false
gnocchi = false
panko = false
sahara = false
trove = false
zaqar = false
mistral = false
placement = false

[volume-feature-enabled]
backup = false

[object-storage-feature-enabled]
discoverability = false

[enforce_scope]
nova = false
neutron = false
glance = false
keystone = false
"""
with open(f'{workspace}/etc/tempest.conf', 'w') as f:
    f.write(conf)
print(json.dumps({'region': region, 'image_ref': image_ref, 'flavor_ref': flavor_ref,
                  'public_network_id': public['id'], 'private_network_id': private['id'],
                  'extensions': len(exts)}))
