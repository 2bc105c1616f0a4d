# bash completion for syscontainer: verbs, options, stored image names and
# installed container names (asked of syscontainer itself, with the --root
# and --repo already on the command line).  Installed by `make install` as
# $(PREFIX)/share/bash-completion/completions/syscontainer.

_syscontainer_ask()
{
	local args=() i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--root|--repo) args+=("${COMP_WORDS[i]}" "${COMP_WORDS[i+1]}") ;;
		--root=*|--repo=*) args+=("${COMP_WORDS[i]}") ;;
		esac
	done
	"${COMP_WORDS[0]}" "${args[@]}" --quiet "$@" 2>/dev/null
}

_syscontainer_images()
{
	_syscontainer_ask images list -n | awk '$2 != "<none>" {print $1 ":" $2}'
}

_syscontainer_containers()
{
	_syscontainer_ask containers list -a -q
}

_syscontainer()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local verbs="pull install uninstall containers run stop images info version apply"
	local global="--repo --root --quiet --verbose --version --help"
	local i verb= sub= words

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--root|--repo) ((i++)) ;;
		-*) ;;
		*) if [[ -z $verb ]]; then verb=${COMP_WORDS[i]}
		   elif [[ -z $sub && ( $verb == images || $verb == containers ) ]]; then sub=${COMP_WORDS[i]}
		   fi ;;
		esac
	done
	case $prev in
	--root|--repo|--cert-dir|--runtime|--authfile)
		COMPREPLY=($(compgen -d -- "$cur")); return ;;
	esac
	if [[ -z $verb ]]; then
		words=$verbs
		[[ $cur == -* ]] && words=$global
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	case $verb/$sub in
	images/)	words="list info tag delete prune update verify" ;;
	containers/)	words="list update rollback" ;;
	pull/)		words="--creds --cert-dir --tls-verify=false --platform --timeout --authfile --password-stdin --max-layer-size" ;;
	install/)	words="--name --set --runtime --dry-run --json --creds --cert-dir --tls-verify=false --platform --timeout --authfile --password-stdin --max-layer-size $(_syscontainer_images)" ;;
	info/|images/info|images/tag|images/verify|version/)
			words="--json $(_syscontainer_images)" ;;
	images/update)	words="--creds --cert-dir --tls-verify=false --platform $(_syscontainer_images)" ;;
	images/delete)	words="-f $(_syscontainer_images)" ;;
	images/list)	words="-a --all -q --quiet -n --noheading --no-trunc -f --filter --json" ;;
	containers/list) words="-a --all -q --quiet --no-trunc -f --filter --json" ;;
	containers/update) words="--set --rebase --timeout --no-health-check $(_syscontainer_containers)" ;;
	apply/)		words="--prune --list-files"
			[[ $cur != -* ]] && { COMPREPLY=($(compgen -f -- "$cur")); return; } ;;
	uninstall/)	words="--purge --force $(_syscontainer_containers)" ;;
	run/|stop/|containers/rollback)
			words=$(_syscontainer_containers) ;;
	esac
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _syscontainer syscontainer
