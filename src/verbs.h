/* The verb table: one row per verb, in the order --help lists them.  Each
 * cmd_*.c file owns one verb (or one group's sub-commands). */
#ifndef SC_VERBS_H
#define SC_VERBS_H

#include "cli.h"
#include "install.h"
#include "pull.h"

int cmd_images_list(struct cli *c, int argc, char **argv, struct err *e);
int cmd_images_info(struct cli *c, int argc, char **argv, struct err *e);
int cmd_images_tag(struct cli *c, int argc, char **argv, struct err *e);
int cmd_images_delete(struct cli *c, int argc, char **argv, struct err *e);
int cmd_images_prune(struct cli *c, int argc, char **argv, struct err *e);
int cmd_images_update(struct cli *c, int argc, char **argv, struct err *e);
int cmd_images_verify(struct cli *c, int argc, char **argv, struct err *e);
int cmd_images_version(struct cli *c, int argc, char **argv, struct err *e);

#define VERB_TABLE \
	{ NULL, "pull", cmd_pull, "[OPTIONS] IMAGE...", \
	  "Store images' layers in the OSTree repository", \
	  "  IMAGE, one or more (layers they share are stored once):\n" \
	  "    [REGISTRY/]NAME[:TAG][@sha256:DIGEST]\n" \
	  "        a registry, resolved and mirrored as registries.conf says; http:\n" \
	  "        before it means plain HTTP, then unverified TLS        quay.io/etcd\n" \
	  "    docker:NAME[:TAG]\n" \
	  "        the Docker engine (or podman's service) at $DOCKER_HOST (unix:// only),\n" \
	  "        else /var/run/docker.sock, else /run/podman/podman.sock     docker:etcd\n" \
	  "    dockertar:FILE, docker-archive:FILE[:NAME[:TAG]]\n" \
	  "        a docker save archive (NAME picks one of several)  dockertar:/tmp/e.tar\n" \
	  "    oci:DIR[:REF], oci-archive:FILE[:REF]\n" \
	  "        an OCI image layout, or a tar of one (REF: its ref name)  oci:/srv:etcd\n" \
	  "    FILE - is standard input, gzip-compressed or not:\n" \
	  "        zcat etcd.tar.gz | syscontainer pull docker-archive:-\n" \
	  "  --creds USER[:PASS]      registry credentials (PASS from the terminal, or\n" \
	  "                           from standard input with --password-stdin)\n" \
	  "  --password-stdin         read the --creds password from standard input\n" \
	  "  --authfile FILE          the only auth file to read (default: podman's and\n" \
	  "                           docker's usual places, credential helpers)\n" \
	  "  --cert-dir DIR           *.crt CAs and *.cert/*.key client pairs for the\n" \
	  "                           registry (default: /etc/containers/certs.d/HOST[:PORT],\n" \
	  "                           /etc/docker/certs.d/HOST[:PORT], under --root first)\n" \
	  "  --tls-verify=false       skip certificate checks and allow plain HTTP\n" \
	  "  --platform OS/ARCH[/VARIANT]  the image to take from a multi-arch index\n" \
	  "                           (default: this machine's)\n" \
	  "  --timeout SECONDS        a registry: deadline for each response head, and the\n" \
	  "                           window over which a body must average 1000 bytes/s\n" \
	  "                           (default 60); a stream (docker:, standard input, a\n" \
	  "                           pipe, a gzip archive): give up when not finished by\n" \
	  "                           then (default: no limit)\n" \
	  "  --max-layer-size SIZE    refuse a layer larger than SIZE uncompressed, while\n" \
	  "                           it streams (K, M, G, T suffixes; default 64G)\n" }, \
	{ NULL, "install", cmd_install, "[--name NAME] [--set KEY=VALUE]... [--runtime PATH] [--dry-run] IMAGE", \
	  "Install an image as a system container (pulling it first if needed)", \
	  "  --name NAME       container name (default: the image's last path component,\n" \
	  "                    plus -TAG when the tag is not latest)\n" \
	  "  --set KEY=VALUE   a template variable (repeatable); overrides the image's defaults\n" \
	  "  --runtime PATH    the OCI runtime the unit runs (default: runc from PATH)\n" \
	  "  --dry-run         print what would be placed on the host; change nothing\n" \
	  "  --json            with --dry-run: the plan as JSON\n" \
	  "  --creds, --password-stdin, --authfile, --cert-dir, --tls-verify, --timeout,\n" \
	  "  --platform, --max-layer-size: as for pull\n" }, \
	{ NULL, "uninstall", cmd_uninstall, "[--purge] [--force] NAME", \
	  "Stop, disable and remove an installed container (the image stays)", \
	  "  --purge     also remove its data directories (kept otherwise, for NAME)\n" \
	  "  --force     remove it even when it did not stop\n" }, \
	{ "containers", "list", cmd_containers_list, "[-a] [-q] [--no-trunc] [-f KEY=VALUE]... [--json]", \
	  "List installed containers that run (all of them with -a)", \
	  "  -a, --all          every installed container, not only the running ones\n" \
	  "  -q, --quiet        names only\n" \
	  "  --no-trunc         image and command in full\n" \
	  "  -f, --filter K=V   only those whose name, image, status or runtime has V\n" \
	  "  --json             a JSON array\n" }, \
	{ "containers", "update", cmd_containers_update, "[--set KEY=VALUE]... [--rebase IMAGE] [--timeout S] [--no-health-check] NAME", \
	  "Deploy the image NAME follows (again) into its other slot and switch to it", \
	  "  --set KEY=VALUE    change a value (the others are kept)\n" \
	  "  --rebase IMAGE     follow another stored image from now on\n" \
	  "  --timeout S        seconds the restarted service has to become active (90)\n" \
	  "  --no-health-check  do not wait for it; never roll back by itself\n" }, \
	{ "containers", "rollback", cmd_containers_rollback, "NAME", \
	  "Switch back to the previous deployment", "" }, \
	{ NULL, "apply", cmd_apply, "[--prune | --list-files] FILE", \
	  "Install or update the containers FILE lists (NAME SOURCE [--set K=V]...\n" \
	  "                       a line); change nothing when they are as listed", \
	  "  --prune        uninstall containers an earlier apply installed that FILE\n" \
	  "                 no longer lists (their data is kept, as by uninstall)\n" \
	  "  --list-files   print the archives FILE names, one a line; change nothing\n" \
	  "                 (what an initramfs must hold)\n" }, \
	{ NULL, "run", cmd_run, "NAME [CMD...]", \
	  "Start NAME (systemctl start when systemd runs, else in the foreground);\n" \
	  "                       with CMD, run it in the container", "" }, \
	{ NULL, "stop", cmd_stop, "NAME", \
	  "Stop NAME (systemctl stop when systemd runs, else the runtime's TERM, then KILL)", "" }, \
	{ "images", "list", cmd_images_list, "[-a] [-q] [-n] [--no-trunc] [-f KEY=VALUE]... [--json]", \
	  "List stored images", \
	  "  -a, --all          also list layers (each once, by diff ID)\n" \
	  "  -q, --quiet        IMAGE IDs only\n" \
	  "  -n, --noheading    no header line\n" \
	  "  --no-trunc         full IMAGE IDs, and the digest a name is pinned by\n" \
	  "  -f, --filter K=V   repo=, tag= (containing V), id= (starting with V), type=\n" \
	  "  --json             a JSON array: full digests, sizes in bytes, RFC 3339 times\n" }, \
	{ "images", "info", cmd_images_info, "[--json] IMAGE", \
	  "Show an image: IMAGE ID, labels, layers, template variables", \
	  "  --json      as a JSON object\n" }, \
	{ "images", "tag", cmd_images_tag, "SOURCE TARGET", \
	  "Give an image a second name", "" }, \
	{ "images", "delete", cmd_images_delete, "[-f] IMAGE...", \
	  "Remove image names (refused while an installed container uses one)", \
	  "  -f          remove even when an installed container uses the image\n" }, \
	{ "images", "prune", cmd_images_prune, "", \
	  "Delete layers no image or container needs, then unreachable objects", "" }, \
	{ "images", "update", cmd_images_update, "[OPTIONS] [IMAGE...]", \
	  "Pull every stored image (or those named) again from where it came", \
	  "  --creds, --cert-dir, --tls-verify, --platform: as for pull\n" }, \
	{ "images", "verify", cmd_images_verify, "[IMAGE...]", \
	  "Re-hash every object the images' layers hold against its checksum", "" }, \
	{ NULL, "info", cmd_images_info, "[--json] IMAGE", \
	  "Show an image (as images info)", \
	  "  --json      as a JSON object\n" }, \
	{ NULL, "version", cmd_images_version, "[IMAGE...]", \
	  "Print syscontainer's version, or an image's Name-Version-Release labels", "" },

#endif
